"""kpi rollups: the KPIs' sums per day and per month, per service and metric

Revision ID: a7c9e1f3b5d2
Revises: f6b8d0e2a4c1
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a7c9e1f3b5d2'
down_revision: str | None = 'f6b8d0e2a4c1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name, period in (('kpi_days', 'day'), ('kpi_months', 'month')):
        op.create_table(
            name,
            sa.Column(period, sa.Date(), nullable=False),
            sa.Column('service', sa.String(length=80), nullable=False),
            sa.Column('metric', sa.String(length=24), nullable=False),
            sa.Column('bucket', sa.Integer(), nullable=False),
            sa.Column('ministry', sa.String(length=16), nullable=False),
            sa.Column('value', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(period, 'service', 'metric', 'bucket'),
        )


def downgrade() -> None:
    op.drop_table('kpi_months')
    op.drop_table('kpi_days')
