"""The engine is chosen by configuration; building the app connects to nothing."""

from pathlib import Path

from services.search.app import create_app, create_search_engine
from services.search.config import Settings
from services.search.engines.embedded import EmbeddedEngine
from services.search.engines.opensearch import OpenSearchEngine


def create_settings(public_key: str = "unused", **changes: object) -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///unused.db", amqp_url="memory://", identity_public_key=public_key,
                    **changes)  # type: ignore[arg-type]


def test_the_embedded_engine_serves_unless_opensearch_is_chosen(tmp_path: Path) -> None:
    assert isinstance(create_search_engine(create_settings(index_dir=tmp_path)), EmbeddedEngine)
    assert isinstance(create_search_engine(create_settings(engine="opensearch", opensearch_url="https://search.internal:9200",
                                                    opensearch_username="portal", opensearch_password="secret")),
                      OpenSearchEngine)


def test_building_the_app_touches_neither_the_index_nor_a_cluster(tmp_path: Path, public_key: str) -> None:
    create_app(create_settings(public_key, engine="opensearch", opensearch_url="http://nowhere.invalid:9200"))
    create_app(create_settings(public_key, index_dir=tmp_path / "index"))
    assert not (tmp_path / "index").exists()


def test_query_understanding_is_on_unless_configured_off(tmp_path: Path, public_key: str) -> None:
    understanding = create_app(create_settings(public_key, index_dir=tmp_path / "on"))
    plain = create_app(create_settings(public_key, index_dir=tmp_path / "off", understanding=False))

    assert understanding.state.deps.lexicon is not None
    assert plain.state.deps.lexicon is None
