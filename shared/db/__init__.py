from shared.db.engine import DatabaseBusy, database_answers, dispose, engine_for, is_sqlite
from shared.db.outbox import OutboxRelay, inbox_table, outbox_table, utcnow
from shared.db.types import UtcDateTime
from shared.db.uow import UnitOfWork, UnitOfWorkFactory

__all__ = [
           "DatabaseBusy",
           "OutboxRelay",
           "UnitOfWork",
           "UnitOfWorkFactory",
           "UtcDateTime",
           "database_answers",
           "dispose",
           "engine_for",
           "inbox_table",
           "is_sqlite",
           "outbox_table",
           "utcnow",
]
