"""a citizen's requests newest first from one index: (citizen, submitted_at) replaces the index on citizen alone,
so "my requests" and the suggestions' history walk it in order instead of sorting each citizen's every request

Revision ID: e2a8c4f6b1d9
Revises: c9d4e6f8a0b3
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'e2a8c4f6b1d9'
down_revision: str | None = 'c9d4e6f8a0b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_requests_citizen_submitted', 'requests', ['citizen', 'submitted_at'], unique=False)
    op.drop_index('ix_requests_citizen', table_name='requests')


def downgrade() -> None:
    op.create_index('ix_requests_citizen', 'requests', ['citizen'], unique=False)
    op.drop_index('ix_requests_citizen_submitted', table_name='requests')
