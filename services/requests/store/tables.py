from pathlib import Path

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from services.requests.domain.kpis import COUNTS
from shared.db import UtcDateTime, inbox_table, outbox_table

MIGRATIONS = Path(__file__).parent.parent / "migrations"
metadata = MetaData()
STALLED = text("stalled_at IS NOT NULL")

catalogue = Table(
    "catalogue", metadata,
    Column("slug", String(80), primary_key=True),
    Column("ministry", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    # None for a retirement seen before the service itself: the tombstone keeps a late publish out.
    Column("record", JSON),
)

requests = Table(
    "requests", metadata,
    Column("tracking_number", String(40), primary_key=True),
    Column("service", String(80), nullable=False),
    Column("service_version", Integer, nullable=False),
    Column("ministry", String(16), nullable=False, index=True),
    Column("citizen", String(20), nullable=False),
    Column("citizen_name", String(200)),
    Column("lang", String(2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("due_on", UtcDateTime(), nullable=False),
    Column("assignee", String(100)),
    Column("assignee_name", String(200)),
    Column("action_note", Text),
    Column("fields_to_correct", JSON),
    Column("decided_at", UtcDateTime()),
    Column("completed_at", UtcDateTime()),
    # Set when the request is flagged stalled in its current status (domain/stalls.py), cleared by its next change.
    Column("stalled_at", UtcDateTime()),
    # The workspace queue: each filter walks an index already in due-date order, ties by tracking number.
    # Each tab's count (store/requests.py: queue_counts) stops after COUNT_LIMIT entries of an index whose leading
    # columns hold all its conditions, with or without the service filter; an index lacking one reads the
    # ministry's (or service's) whole history whenever few requests match.
    Index("ix_requests_ministry_status_due", "ministry", "status", "due_on", "assignee", "stalled_at"),
    Index("ix_requests_ministry_due", "ministry", "due_on", "tracking_number"),
    Index("ix_requests_ministry_assignee_due", "ministry", "assignee", "due_on", "tracking_number"),
    Index("ix_requests_ministry_service_due", "ministry", "service", "due_on", "tracking_number"),
    Index("ix_requests_ministry_service_status", "ministry", "service", "status", "due_on", "assignee",
          "stalled_at"),
    Index("ix_requests_ministry_service_assignee_due", "ministry", "service", "assignee", "due_on",
          "tracking_number"),
    Index("ix_requests_ministry_service_stalled", "ministry", "service", "stalled_at"),
    # The stalled tab lists its requests due first from an index of the stalled ones alone (partial): walking the
    # due-date index instead checks the row of every request the ministry ever had when few are stalled.
    Index("ix_requests_stalled_ministry_due", "ministry", "due_on", "tracking_number",
          sqlite_where=STALLED, postgresql_where=STALLED),
    Index("ix_requests_stalled_ministry_service_due", "ministry", "service", "due_on", "tracking_number",
          sqlite_where=STALLED, postgresql_where=STALLED),
    Index("ix_requests_submitted_at", "submitted_at"),
    # A citizen's requests newest first ("my requests", the suggestions' history), walked in order, not sorted.
    Index("ix_requests_citizen_submitted", "citizen", "submitted_at"),
    Index("ix_requests_completed_at", "completed_at"),
    Index("ix_requests_decided_at", "decided_at"),
    # The stall scan walks open requests oldest change first; the stalled tab and gauges read stalled_at.
    Index("ix_requests_status_updated", "status", "updated_at"),
    Index("ix_requests_ministry_stalled", "ministry", "stalled_at"),
)

history = Table(
    "request_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tracking_number", String(40), ForeignKey("requests.tracking_number"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("previous_status", String(20)),
    Column("actor", String(100), nullable=False),
    Column("actor_name", String(200)),
    Column("note", Text),
    Column("at", UtcDateTime(), nullable=False),
    Column("applied", Integer, nullable=False, default=1),
    Column("event_id", String(36)),
)

sequences = Table(
    "tracking_sequences", metadata,
    Column("ministry", String(16), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

dead_letters = Table(
    "dead_letters", metadata,
    Column("id", String(36), primary_key=True),
    Column("queue", String(255), nullable=False, index=True),
    Column("routing_key", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("sender", String(100)),
    Column("message_id", String(100)),
    Column("event_type", String(200)),
    Column("subject", String(200)),
    Column("body", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("status", String(12), nullable=False, index=True),
    Column("resolved_at", UtcDateTime()),
    Column("resolved_by", String(100)),
    Column("resolution_note", Text),
)

documents = Table(
    "documents", metadata,
    Column("id", String(36), primary_key=True),
    Column("ministry", String(16), nullable=False),
    Column("citizen", String(20), nullable=False, index=True),
    Column("document_type", String(64), nullable=False),
    Column("number", String(64), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("expires_on", Date),
    Column("tracking_number", String(40)),
    Column("recorded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("ministry", "document_type", "number", name="uq_documents_ministry_type_number"),
    Index("ix_documents_type_expires", "document_type", "expires_on"),
)

offers = Table(
    "offers", metadata,
    Column("id", String(36), primary_key=True),
    # One offer per document and expiry (renewals) or per document and service (life events), whichever
    # replica or redelivery gets there first.
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("citizen", String(20), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("service", String(80), nullable=False),
    Column("ministry", String(16), nullable=False),
    Column("status", String(12), nullable=False),
    Column("document_id", String(36), ForeignKey("documents.id")),
    Column("document_type", String(64), nullable=False),
    Column("document_number", String(64)),
    Column("expires_on", Date),
    Column("days_ahead", Integer),
    Column("life_event", String(40)),
    Column("prefill", JSON, nullable=False),
    Column("tracking_number", String(40)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

preferences = Table(
    "proactive_preferences", metadata,
    Column("citizen", String(20), primary_key=True),
    Column("proactive", Integer, nullable=False),
    # Opted in to a notice about a learned suggestion (once per suggestion); NULL is the default: off.
    Column("suggestion_notices", Integer),
    Column("updated_at", UtcDateTime(), nullable=False),
)

ratings = Table(
    "ratings", metadata,
    Column("tracking_number", String(40), ForeignKey("requests.tracking_number"), primary_key=True),
    Column("service", String(80), nullable=False),
    Column("ministry", String(16), nullable=False),
    Column("score", Integer, nullable=False),
    Column("comment", Text),
    Column("rated_at", UtcDateTime(), nullable=False, index=True),
)

def _rollup(name: str, period: str) -> Table:
    return Table(
        name, metadata,
        Column(period, Date, primary_key=True),
        Column("service", String(80), primary_key=True),
        Column("ministry", String(16), nullable=False),
        *(Column(metric, Integer, nullable=False, server_default="0") for metric in COUNTS),
        # The processing times' histogram, packed (store/kpis.py: pack): a period's are merged in memory, so it is
        # read as one small row per day or month and service rather than a row per bucket; null when none completed.
        Column("tenths", LargeBinary),
        # Stored in key order on SQLite, so a period's rows are read in one sequential run, not a lookup each.
        sqlite_with_rowid=False,
    )


# The KPIs' rollup per day and service (domain/kpis.py: contributions), and the same summed per calendar month, so
# a year is read as twelve months rather than 365 days; both kept in the transaction of each change.
kpi_days = _rollup("kpi_days", "day")
kpi_months = _rollup("kpi_months", "month")

channel_counts = Table(
    "channel_counts", metadata,
    Column("service", String(80), primary_key=True),
    Column("month", Date, primary_key=True),
    Column("channel", String(20), primary_key=True),
    Column("ministry", String(16), nullable=False),
    Column("completed", Integer, nullable=False),
    Column("reported_at", UtcDateTime(), nullable=False),
)

readiness = Table(
    "readiness", metadata,
    Column("slug", String(80), primary_key=True),
    Column("ministry", String(16), nullable=False),
    Column("maturity", String(20), nullable=False),
    Column("volume_per_year", Integer, nullable=False),
    # Text keeps the rials exact on both engines.
    Column("manual_cost_omr", String(20), nullable=False),
    Column("digital_cost_omr", String(20), nullable=False),
    Column("assessed_at", UtcDateTime(), nullable=False),
)

# The government's announced changes to the working calendar; a revoked one is kept, with who revoked it and when.
calendar_changes = Table(
    "calendar_changes", metadata,
    Column("id", String(36), primary_key=True),
    Column("day", Date, nullable=False, index=True),
    Column("kind", String(12), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("name_ar", String(200), nullable=False),
    Column("reference", String(200)),
    Column("added_by", String(100), nullable=False),
    Column("added_at", UtcDateTime(), nullable=False),
    Column("revoked_by", String(100)),
    Column("revoked_at", UtcDateTime()),
)

# The first answer to each citizen's Idempotency-Key, kept a day (domain/idempotency.py).
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("citizen", String(20), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
    Column("status_code", Integer),
    Column("response", JSON),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
