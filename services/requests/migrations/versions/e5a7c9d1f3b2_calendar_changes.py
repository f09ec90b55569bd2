"""the government's announced changes to the working calendar

Revision ID: e5a7c9d1f3b2
Revises: c3f8a1d26b57
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e5a7c9d1f3b2'
down_revision: str | None = 'c3f8a1d26b57'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'calendar_changes',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('name_en', sa.String(length=200), nullable=False),
        sa.Column('name_ar', sa.String(length=200), nullable=False),
        sa.Column('reference', sa.String(length=200), nullable=True),
        sa.Column('added_by', sa.String(length=100), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_by', sa.String(length=100), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('calendar_changes', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_changes_day', ['day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_changes_day')
    op.drop_table('calendar_changes')
