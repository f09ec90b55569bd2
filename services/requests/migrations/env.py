from alembic import context

from services.requests.store import metadata
from shared.db.migrate import run_env

run_env(context, metadata)
