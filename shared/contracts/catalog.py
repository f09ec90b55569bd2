"""Events the catalog publishes on portal.events (routing keys catalog.service.*)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Bilingual, IntegrationEvent

Maturity = Literal["electronic", "semi_electronic", "manual"]
FieldKind = Literal["text", "number", "date", "choice", "multi_choice", "boolean", "national_id", "phone",
                    "email", "file"]


class FormField(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    kind: FieldKind
    label: Bilingual
    required: bool = True
    choices: list[str] = Field(default_factory=list)
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None


class Step(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    title: Bilingual
    detail: Bilingual | None = None


class ServiceRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    slug: str
    ministry: str
    ministry_name: Bilingual
    version: int
    title: Bilingual
    description: Bilingual
    keywords: list[str] = Field(default_factory=list)
    maturity: Maturity
    life_events: list[str] = Field(default_factory=list)
    target_days: int
    steps: list[Step] = Field(default_factory=list)
    form: list[FormField] = Field(default_factory=list)


class ServicePublished(IntegrationEvent):
    TYPE = "om.portal.catalog.service.published.v1"
    service: ServiceRecord


class ServiceUpdated(IntegrationEvent):
    TYPE = "om.portal.catalog.service.updated.v1"
    service: ServiceRecord


class ServiceRetired(IntegrationEvent):
    TYPE = "om.portal.catalog.service.retired.v1"
    slug: str
    ministry: str
    version: int
