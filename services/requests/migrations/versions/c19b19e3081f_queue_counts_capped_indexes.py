"""queue counts capped: indexes for the service filter's assignee and stalled tabs, so each count reads at most
its limit of index entries rather than the service's whole history; partial indexes of the stalled requests in
due-date order for the stalled tab's list

Revision ID: c19b19e3081f
Revises: e2a8c4f6b1d9
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c19b19e3081f'
down_revision: str | None = 'e2a8c4f6b1d9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {'ix_requests_ministry_service_assignee_due': ['ministry', 'service', 'assignee', 'due_on',
                                                         'tracking_number'],
           'ix_requests_ministry_service_stalled': ['ministry', 'service', 'stalled_at']}
STALLED_INDEXES = {'ix_requests_stalled_ministry_due': ['ministry', 'due_on', 'tracking_number'],
                   'ix_requests_stalled_ministry_service_due': ['ministry', 'service', 'due_on', 'tracking_number']}


def upgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
        for name, columns in STALLED_INDEXES.items():
            batch_op.create_index(name, columns, unique=False, sqlite_where=sa.text('stalled_at IS NOT NULL'),
                                  postgresql_where=sa.text('stalled_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        for name in [*INDEXES, *STALLED_INDEXES]:
            batch_op.drop_index(name)
