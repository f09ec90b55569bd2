"""queue indexes cover stalled_at: every tab's count (stalled among them) reads the status index alone

Revision ID: b8e3f1a9c2d7
Revises: a7c2e4f6b8d1
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'b8e3f1a9c2d7'
down_revision: str | None = 'a7c2e4f6b8d1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {'ix_requests_ministry_status_due': ['ministry', 'status', 'due_on', 'assignee'],
           'ix_requests_ministry_service_status': ['ministry', 'service', 'status', 'due_on', 'assignee']}


def upgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, [*columns, 'stalled_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
