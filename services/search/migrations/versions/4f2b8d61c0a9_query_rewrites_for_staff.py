"""queries keep how query understanding rewrote them, for staff growing the lexicon

Revision ID: 4f2b8d61c0a9
Revises: 9c4e7a2d5b13
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4f2b8d61c0a9'
down_revision: str | None = '9c4e7a2d5b13'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('search_queries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rewritten', sa.String(length=400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('search_queries', schema=None) as batch_op:
        batch_op.drop_column('rewritten')
