"""Where the embedded index lives when nobody says: beside the service's own database."""

from pathlib import Path

from services.search.config import Settings


def create_settings(database_url: str, **changes: object) -> Settings:
    return Settings(database_url=database_url, amqp_url="memory://", identity_public_key="key", **changes)  # type: ignore[arg-type]


def test_each_run_directory_gets_its_own_index_beside_its_database() -> None:
    settings = create_settings("sqlite+aiosqlite:///runs/a/data/search.db")
    assert settings.embedded_index_dir() == Path("runs/a/data/search-index")


def test_a_directory_set_explicitly_wins() -> None:
    settings = create_settings("sqlite+aiosqlite:///runs/a/data/search.db", index_dir=Path("/srv/index"))
    assert settings.embedded_index_dir() == Path("/srv/index")


def test_with_postgresql_the_index_goes_under_the_run_directory() -> None:
    settings = create_settings("postgresql+asyncpg://postgres@127.0.0.1/search")
    assert settings.embedded_index_dir() == Path(".run/search-index")


def test_the_embedded_engine_is_the_default() -> None:
    assert create_settings("sqlite+aiosqlite:///x.db").engine == "embedded"
