"""dead letters desk, retirement tombstones in the catalogue cache, ministry queue index

Revision ID: 7b1d2e9c4a10
Revises: 430ee33aa431
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7b1d2e9c4a10'
down_revision: str | None = '430ee33aa431'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dead_letters',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('queue', sa.String(length=255), nullable=False),
    sa.Column('routing_key', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('sender', sa.String(length=100), nullable=True),
    sa.Column('message_id', sa.String(length=100), nullable=True),
    sa.Column('event_type', sa.String(length=200), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=100), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dead_letters_queue'), ['queue'], unique=False)
        batch_op.create_index(batch_op.f('ix_dead_letters_status'), ['status'], unique=False)
    with op.batch_alter_table('catalogue', schema=None) as batch_op:
        batch_op.alter_column('record', existing_type=sa.JSON(), nullable=True)
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_ministry_status_due', ['ministry', 'status', 'due_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_ministry_status_due')
    with op.batch_alter_table('catalogue', schema=None) as batch_op:
        batch_op.alter_column('record', existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letters_status'))
        batch_op.drop_index(batch_op.f('ix_dead_letters_queue'))
    op.drop_table('dead_letters')
