"""kpi rollups: one row per day (or month) and service, its counts as columns and its processing times' histogram
packed in one value, so a period is read as a few small rows rather than a row per histogram bucket

Revision ID: c9f4a2b8d3e6
Revises: b8e3f1a9c2d7
"""
import struct
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c9f4a2b8d3e6'
down_revision: str | None = 'b8e3f1a9c2d7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As of this revision (domain/kpis.py COUNTS and TENTHS, store/kpis.py PACKED: (bucket, count) pairs of
# little-endian 32-bit integers; struct, not numpy, so that migrating at start-up does not load numpy).
COUNTS = ('started', 'completed', 'cancelled', 'online_completed', 'decided', 'on_time', 'responses', 'high_scores',
          'score_sum')
TENTHS = 'processing_tenths'
PAIR = struct.Struct('<ii')
TABLES = (('kpi_days', 'day'), ('kpi_months', 'month'))


def _by_metric(name: str, period: str) -> sa.TableClause:
    return sa.table(name, sa.column(period, sa.Date()), sa.column('service'), sa.column('metric'),
                    sa.column('bucket', sa.Integer()), sa.column('ministry'), sa.column('value', sa.Integer()))


def _by_service(name: str, period: str) -> sa.TableClause:
    return sa.table(name, sa.column(period, sa.Date()), sa.column('service'), sa.column('ministry'),
                    *(sa.column(metric, sa.Integer()) for metric in COUNTS), sa.column('tenths', sa.LargeBinary()))


def upgrade() -> None:
    connection = op.get_bind()
    for name, period in TABLES:
        op.rename_table(name, f'{name}_by_metric')
        op.create_table(
            name,
            sa.Column(period, sa.Date(), nullable=False),
            sa.Column('service', sa.String(length=80), nullable=False),
            sa.Column('ministry', sa.String(length=16), nullable=False),
            *(sa.Column(metric, sa.Integer(), nullable=False, server_default='0') for metric in COUNTS),
            sa.Column('tenths', sa.LargeBinary(), nullable=True),
            sa.PrimaryKeyConstraint(period, 'service'),
            sqlite_with_rowid=False,
        )
        old, new = _by_metric(f'{name}_by_metric', period), _by_service(name, period)
        connection.execute(new.insert().from_select(
            [period, 'service', 'ministry', *COUNTS],
            sa.select(old.c[period], old.c.service, sa.func.max(old.c.ministry),
                      *(sa.func.sum(sa.case((old.c.metric == metric, old.c.value), else_=0)) for metric in COUNTS))
            .group_by(old.c[period], old.c.service)))
        pairs: dict[tuple[object, str], list[tuple[int, int]]] = {}
        for at, service, bucket, value in connection.execute(
                sa.select(old.c[period], old.c.service, old.c.bucket, old.c.value)
                .where(old.c.metric == TENTHS, old.c.value != 0).order_by(old.c[period], old.c.service, old.c.bucket)):
            pairs.setdefault((at, service), []).append((bucket, value))
        for (at, service), histogram in pairs.items():
            connection.execute(sa.update(new).where(new.c[period] == at, new.c.service == service)
                               .values(tenths=b''.join(PAIR.pack(*pair) for pair in histogram)))
        op.drop_table(f'{name}_by_metric')


def downgrade() -> None:
    connection = op.get_bind()
    for name, period in TABLES:
        op.rename_table(name, f'{name}_by_service')
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
        old, new = _by_service(f'{name}_by_service', period), _by_metric(name, period)
        for metric in COUNTS:
            connection.execute(new.insert().from_select(
                [period, 'service', 'metric', 'bucket', 'ministry', 'value'],
                sa.select(old.c[period], old.c.service, sa.literal(metric), sa.literal(0), old.c.ministry,
                          old.c[metric]).where(old.c[metric] != 0)))
        for at, service, ministry, packed in connection.execute(
                sa.select(old.c[period], old.c.service, old.c.ministry, old.c.tenths).where(old.c.tenths.is_not(None))):
            connection.execute(new.insert(), [
                {period: at, 'service': service, 'metric': TENTHS, 'bucket': int(bucket), 'ministry': ministry,
                 'value': int(value)} for bucket, value in PAIR.iter_unpack(packed)])
        op.drop_table(f'{name}_by_service')
