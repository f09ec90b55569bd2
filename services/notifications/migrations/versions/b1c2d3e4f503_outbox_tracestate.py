"""the outbox keeps the W3C tracestate beside the traceparent

Revision ID: b1c2d3e4f503
Revises: 3b7d2c9e41f0
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b1c2d3e4f503'
down_revision: str | None = '3b7d2c9e41f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracestate', sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('tracestate')
