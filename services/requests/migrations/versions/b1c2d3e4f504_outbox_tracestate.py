"""the outbox keeps the W3C tracestate beside the traceparent

Revision ID: b1c2d3e4f504
Revises: a7c9e1f3b5d2
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b1c2d3e4f504'
down_revision: str | None = 'a7c9e1f3b5d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracestate', sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('tracestate')
