"""suggestion notices: a citizen's opt-in to be told, once per suggestion, about a service they may need next

Revision ID: c9d4e6f8a0b3
Revises: c9f4a2b8d3e6
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c9d4e6f8a0b3'
down_revision: str | None = 'c9f4a2b8d3e6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('proactive_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggestion_notices', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('proactive_preferences', schema=None) as batch_op:
        batch_op.drop_column('suggestion_notices')
