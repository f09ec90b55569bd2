"""ministry workspace (assignee, officer in history, queue indexes), documents, offers, preferences, ratings,
channel counts, readiness costs, decision and completion times

Revision ID: c3f8a1d26b57
Revises: 7b1d2e9c4a10
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c3f8a1d26b57'
down_revision: str | None = '7b1d2e9c4a10'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None



def upgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('assignee_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('action_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('fields_to_correct', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index('ix_requests_ministry_status_due')
        batch_op.create_index('ix_requests_ministry_status_due', ['ministry', 'status', 'due_on', 'assignee'],
                              unique=False)
        batch_op.create_index('ix_requests_ministry_due', ['ministry', 'due_on', 'tracking_number'], unique=False)
        batch_op.create_index('ix_requests_ministry_assignee_due', ['ministry', 'assignee', 'due_on',
                                                                    'tracking_number'], unique=False)
        batch_op.create_index('ix_requests_ministry_service_due', ['ministry', 'service', 'due_on',
                                                                   'tracking_number'], unique=False)
        batch_op.create_index('ix_requests_ministry_service_status', ['ministry', 'service', 'status', 'due_on',
                                                                      'assignee'], unique=False)
        batch_op.create_index('ix_requests_submitted_at', ['submitted_at'], unique=False)
        batch_op.create_index('ix_requests_completed_at', ['completed_at'], unique=False)
        batch_op.create_index('ix_requests_decided_at', ['decided_at'], unique=False)
    with op.batch_alter_table('request_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_name', sa.String(length=200), nullable=True))
    # Requests decided or completed before this revision get their times from their history.
    op.execute("UPDATE requests SET decided_at = (SELECT MIN(h.at) FROM request_history h "
               "WHERE h.tracking_number = requests.tracking_number AND h.applied = 1 "
               "AND h.status IN ('approved', 'rejected'))")
    op.execute("UPDATE requests SET completed_at = (SELECT MIN(h.at) FROM request_history h "
               "WHERE h.tracking_number = requests.tracking_number AND h.applied = 1 AND h.status = 'completed')")

    op.create_table('documents',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('ministry', sa.String(length=16), nullable=False),
    sa.Column('citizen', sa.String(length=20), nullable=False),
    sa.Column('document_type', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('tracking_number', sa.String(length=40), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ministry', 'document_type', 'number', name='uq_documents_ministry_type_number')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_citizen', ['citizen'], unique=False)
        batch_op.create_index('ix_documents_type_expires', ['document_type', 'expires_on'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('citizen', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('service', sa.String(length=80), nullable=False),
    sa.Column('ministry', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('document_id', sa.String(length=36), nullable=True),
    sa.Column('document_type', sa.String(length=64), nullable=False),
    sa.Column('document_number', sa.String(length=64), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('days_ahead', sa.Integer(), nullable=True),
    sa.Column('life_event', sa.String(length=40), nullable=True),
    sa.Column('prefill', sa.JSON(), nullable=False),
    sa.Column('tracking_number', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index('ix_offers_citizen', ['citizen'], unique=False)

    op.create_table('proactive_preferences',
    sa.Column('citizen', sa.String(length=20), nullable=False),
    sa.Column('proactive', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('citizen')
    )
    op.create_table('ratings',
    sa.Column('tracking_number', sa.String(length=40), nullable=False),
    sa.Column('service', sa.String(length=80), nullable=False),
    sa.Column('ministry', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tracking_number'], ['requests.tracking_number'], ),
    sa.PrimaryKeyConstraint('tracking_number')
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index('ix_ratings_rated_at', ['rated_at'], unique=False)

    op.create_table('channel_counts',
    sa.Column('service', sa.String(length=80), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('ministry', sa.String(length=16), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('service', 'month', 'channel')
    )
    op.create_table('readiness',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('ministry', sa.String(length=16), nullable=False),
    sa.Column('maturity', sa.String(length=20), nullable=False),
    sa.Column('volume_per_year', sa.Integer(), nullable=False),
    sa.Column('manual_cost_omr', sa.String(length=20), nullable=False),
    sa.Column('digital_cost_omr', sa.String(length=20), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )


def downgrade() -> None:
    op.drop_table('readiness')
    op.drop_table('channel_counts')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_ratings_rated_at')
    op.drop_table('ratings')
    op.drop_table('proactive_preferences')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_citizen')
    op.drop_table('offers')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_type_expires')
        batch_op.drop_index('ix_documents_citizen')
    op.drop_table('documents')
    with op.batch_alter_table('request_history', schema=None) as batch_op:
        batch_op.drop_column('actor_name')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        for index in ('ix_requests_ministry_status_due', 'ix_requests_decided_at', 'ix_requests_completed_at',
                      'ix_requests_submitted_at', 'ix_requests_ministry_service_status',
                      'ix_requests_ministry_service_due', 'ix_requests_ministry_assignee_due',
                      'ix_requests_ministry_due'):
            batch_op.drop_index(index)
        for column in ('completed_at', 'decided_at', 'fields_to_correct', 'action_note', 'assignee_name',
                       'assignee'):
            batch_op.drop_column(column)
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_ministry_status_due', ['ministry', 'status', 'due_on'], unique=False)
