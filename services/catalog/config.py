from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    # Where the portal is published: the base of every identifier in the open-data exports.
    public_url: str = "http://localhost:8000"
