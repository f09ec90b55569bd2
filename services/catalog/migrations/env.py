from alembic import context

from services.catalog.store import metadata
from shared.db.migrate import run_env

run_env(context, metadata)
