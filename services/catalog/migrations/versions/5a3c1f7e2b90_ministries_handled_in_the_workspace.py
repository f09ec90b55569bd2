"""ministries handled in the workspace

Revision ID: 5a3c1f7e2b90
Revises: e929092ba286
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5a3c1f7e2b90'
down_revision: str | None = 'e929092ba286'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ministries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workspace', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('ministries', schema=None) as batch_op:
        batch_op.drop_column('workspace')
