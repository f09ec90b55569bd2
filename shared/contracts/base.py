"""Integration events: the contract between services. Past-tense names, versioned CloudEvents types."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class IntegrationEvent(BaseModel):
    # Consumers ignore fields they do not know, so adding a field is never a breaking change.
    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str]


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    ar: str
    en: str
