from alembic import context

from services.gateway.store import metadata
from shared.db.migrate import run_env

run_env(context, metadata)
