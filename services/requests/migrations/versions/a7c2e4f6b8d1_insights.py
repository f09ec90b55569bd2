"""learned insights: next-service patterns, staff's auto-approval bar, runs, suggestion marks, weekly forecasts

Revision ID: a7c2e4f6b8d1
Revises: b1c2d3e4f504
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a7c2e4f6b8d1'
down_revision: str | None = 'b1c2d3e4f504'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'service_patterns',
        sa.Column('after', sa.String(length=80), nullable=False),
        sa.Column('then', sa.String(length=80), nullable=False),
        sa.Column('citizens', sa.Integer(), nullable=False),
        sa.Column('support', sa.Float(), nullable=False),
        sa.Column('confidence', sa.Float(), nullable=False),
        sa.Column('lift', sa.Float(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('decided_by', sa.String(length=100), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('after', 'then'),
    )
    op.create_index('ix_service_patterns_state', 'service_patterns', ['state'], unique=False)
    op.create_table(
        'insight_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('auto_min_citizens', sa.Integer(), nullable=False),
        sa.Column('auto_min_confidence', sa.Float(), nullable=False),
        sa.Column('auto_min_lift', sa.Float(), nullable=False),
        sa.Column('updated_by', sa.String(length=100), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'insight_runs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('requests', sa.Integer(), nullable=False),
        sa.Column('citizens', sa.Integer(), nullable=False),
        sa.Column('patterns', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_insight_runs_trained_at', 'insight_runs', ['trained_at'], unique=False)
    op.create_table(
        'suggestion_marks',
        sa.Column('citizen', sa.String(length=20), nullable=False),
        sa.Column('service', sa.String(length=80), nullable=False),
        sa.Column('mark', sa.String(length=12), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('citizen', 'service', 'mark'),
    )
    op.create_table(
        'service_forecasts',
        sa.Column('service', sa.String(length=80), nullable=False),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('ministry', sa.String(length=16), nullable=False),
        sa.Column('expected', sa.Float(), nullable=False),
        sa.Column('lower', sa.Float(), nullable=False),
        sa.Column('upper', sa.Float(), nullable=False),
        sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('service', 'week'),
    )
    op.create_index('ix_service_forecasts_ministry', 'service_forecasts', ['ministry'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_service_forecasts_ministry', table_name='service_forecasts')
    op.drop_table('service_forecasts')
    op.drop_table('suggestion_marks')
    op.drop_index('ix_insight_runs_trained_at', table_name='insight_runs')
    op.drop_table('insight_runs')
    op.drop_table('insight_settings')
    op.drop_index('ix_service_patterns_state', table_name='service_patterns')
    op.drop_table('service_patterns')
