from datetime import datetime

from sqlalchemy import ColumnElement, and_

from services.requests.domain import OVERDUE_STATUSES
from services.requests.store.tables import requests


def overdue(at: datetime) -> ColumnElement[bool]:
    """The domain's `is_overdue` as SQL: in one of OVERDUE_STATUSES and past its due date at `at`."""
    return and_(requests.c.status.in_(sorted(OVERDUE_STATUSES)), requests.c.due_on < at)
