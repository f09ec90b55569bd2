from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url

from shared.config import RUN_DIR, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEARCH_", extra="ignore")

    engine: Literal["embedded", "opensearch"] = "embedded"
    # Embedded engine: where its index lives. Unset: beside the service's SQLite file, so each run
    # directory (`portal up`, tests, the bench) has its own; with PostgreSQL, .run/search-index.
    index_dir: Path | None = None
    opensearch_url: str = "http://127.0.0.1:9200"
    opensearch_alias: str = "portal-services"
    opensearch_username: str | None = None
    opensearch_password: SecretStr | None = None
    opensearch_verify_certs: bool = True
    opensearch_ca_certs: str | None = None
    opensearch_timeout_seconds: float = 5.0
    # Staff synonym sets are re-read this often, so a change made on another replica reaches this one.
    synonyms_refresh_seconds: float = 30.0
    # Query counts are kept in memory and written this often; at most this many distinct queries are kept.
    query_log_flush_seconds: float = 5.0
    query_log_limit: int = 10_000
    # Submissions are counted in batches gathered for up to this long, of at most this many: each batch costs an
    # index commit (about 10 ms of CPU on the embedded engine) whatever its size, and a service's rank may follow
    # its submissions that much later.
    popularity_linger_seconds: float = 1.0
    popularity_batch: int = 256
    # Query understanding (colloquial Arabic, Arabizi, the concept lexicon, intents). Off, search is the
    # plain engine with its stemmer: the baseline the bench compares against.
    understanding: bool = True

    def embedded_index_dir(self) -> Path:
        if self.index_dir is not None:
            return self.index_dir
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            database = Path(url.database)
            return database.with_name(f"{database.stem}-index")
        return RUN_DIR / "search-index"
