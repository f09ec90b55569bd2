from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(path.parent.name for path in (ROOT / "services").glob("*/migrations"))


@pytest.mark.parametrize("service", SERVICES)
def test_each_services_migrations_form_one_line_that_an_upgrade_can_follow(service: str) -> None:
    """Two changes landed on the same parent leave two heads, and `portal migrate` would refuse to choose."""
    heads = ScriptDirectory(str(ROOT / "services" / service / "migrations")).get_heads()
    assert len(heads) == 1, f"{service} has {len(heads)} migration heads: {heads}; merge them (alembic merge)"
