"""kpi months: each month's processing-time histogram stored dense (a 64-bit count per bucket from 0 to its last),
so that a period's months are summed as big integers rather than pair by pair; days keep their (bucket, count)
pairs

Revision ID: d7e3b9a1c5f2
Revises: c19b19e3081f
"""
import struct
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd7e3b9a1c5f2'
down_revision: str | None = 'c19b19e3081f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As of this revision (store/kpi_rollups.py): pairs of little-endian signed 32-bit integers before, little-endian
# unsigned 64-bit counts after; struct, so that migrating at start-up loads nothing more.
PAIR, COUNT = struct.Struct('<ii'), struct.Struct('<Q')
MONTHS = sa.table('kpi_months', sa.column('month', sa.Date()), sa.column('service'),
                  sa.column('tenths', sa.LargeBinary()))


def _dense(pairs: bytes) -> bytes | None:
    histogram = {bucket: count for bucket, count in PAIR.iter_unpack(pairs) if count > 0}
    if not histogram:
        return None
    return b''.join(COUNT.pack(histogram.get(bucket, 0)) for bucket in range(max(histogram) + 1))


def _pairs(dense: bytes) -> bytes | None:
    counts = [(bucket, count) for bucket, (count,) in enumerate(COUNT.iter_unpack(dense)) if count]
    return b''.join(PAIR.pack(*pair) for pair in counts) or None


def _convert(convert: Callable[[bytes], bytes | None]) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(MONTHS.c.month, MONTHS.c.service, MONTHS.c.tenths)
                              .where(MONTHS.c.tenths.is_not(None))).all()
    for month, service, tenths in rows:
        connection.execute(sa.update(MONTHS).where(MONTHS.c.month == month, MONTHS.c.service == service)
                           .values(tenths=convert(tenths)))


def upgrade() -> None:
    _convert(_dense)


def downgrade() -> None:
    _convert(_pairs)
