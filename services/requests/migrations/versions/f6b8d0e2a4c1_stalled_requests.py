"""stalled requests: when a request was flagged stalled in its current status

Revision ID: f6b8d0e2a4c1
Revises: d41e7b2a9c05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f6b8d0e2a4c1'
down_revision: str | None = 'd41e7b2a9c05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stalled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_requests_status_updated', ['status', 'updated_at'], unique=False)
        batch_op.create_index('ix_requests_ministry_stalled', ['ministry', 'stalled_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_ministry_stalled')
        batch_op.drop_index('ix_requests_status_updated')
        batch_op.drop_column('stalled_at')
