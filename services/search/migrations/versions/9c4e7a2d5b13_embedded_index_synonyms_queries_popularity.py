"""the index moves to its engine; synonym sets, query counts and popularity stay here

Revision ID: 9c4e7a2d5b13
Revises: 0501818ae7f3
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '9c4e7a2d5b13'
down_revision: str | None = '0501818ae7f3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Starter sets staff can remove or extend through the admin API.
STARTER_SYNONYMS = [
    ("en", ["licence", "license"]),
    ("en", ["car", "vehicle"]),
    ("ar", ["رخصة قيادة", "رخصة سياقة", "رخصة سواقة"]),
    ("ar", ["سيارة", "مركبة"]),
    ("ar", ["تأشيرة", "فيزا"]),
    ("ar", ["جواز سفر", "باسبور"]),
]


def upgrade() -> None:
    # The index now lives in its engine (tantivy on disk, or OpenSearch), rebuilt from the catalogue.
    with op.batch_alter_table('indexed_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indexed_services_ministry'))
    op.drop_table('indexed_services')
    op.drop_table('retired_services')
    synonym_sets = op.create_table('synonym_sets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('phrases', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('search_queries',
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('searches', sa.Integer(), nullable=False),
    sa.Column('without_results', sa.Integer(), nullable=False),
    sa.Column('last_searched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('query')
    )
    with op.batch_alter_table('search_queries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_queries_last_searched_at'), ['last_searched_at'], unique=False)
    op.create_table('service_popularity',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('submissions', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )
    now = datetime.now(UTC)
    op.bulk_insert(synonym_sets, [{"lang": lang, "phrases": phrases, "created_at": now}
                                  for lang, phrases in STARTER_SYNONYMS])


def downgrade() -> None:
    op.drop_table('service_popularity')
    with op.batch_alter_table('search_queries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_queries_last_searched_at'))
    op.drop_table('search_queries')
    op.drop_table('synonym_sets')
    op.create_table('retired_services',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('indexed_services',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('ministry', sa.String(length=16), nullable=False),
    sa.Column('ministry_name_ar', sa.String(length=200), nullable=False),
    sa.Column('ministry_name_en', sa.String(length=200), nullable=False),
    sa.Column('title_ar', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('description_ar', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('maturity', sa.String(length=20), nullable=False),
    sa.Column('life_events', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title_terms', sa.Text(), nullable=False),
    sa.Column('keyword_terms', sa.Text(), nullable=False),
    sa.Column('description_terms', sa.Text(), nullable=False),
    sa.Column('indexed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )
    with op.batch_alter_table('indexed_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indexed_services_ministry'), ['ministry'], unique=False)
