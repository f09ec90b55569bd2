"""Events the catalog publishes on portal.events (routing keys catalog.service.*)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Bilingual, IntegrationEvent, SafeText, ShortText, WebLink

Maturity = Literal["electronic", "semi_electronic", "manual"]
FieldKind = Literal["text", "number", "date", "choice", "multi_choice", "boolean", "national_id", "phone",
                    "email", "file"]


class FormField(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    kind: FieldKind
    label: Bilingual
    help: Bilingual | None = None
    required: bool = True
    choices: list[ShortText] = Field(default_factory=list, max_length=200)
    min_length: int | None = None
    max_length: int | None = None
    # Finite: 1e999 is valid JSON that reads as infinity, which neither JSON nor PostgreSQL can store.
    minimum: float | None = Field(default=None, allow_inf_nan=False)
    maximum: float | None = Field(default=None, allow_inf_nan=False)


class Step(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    title: Bilingual
    detail: Bilingual | None = None
    link: WebLink | None = None
    document: Bilingual | None = None


Audience = Literal["citizen", "resident", "business"]
ChannelKind = Literal["online", "service_centre", "ministry_office"]
Weekday = Literal["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


class OpeningHours(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    days: list[Weekday]
    opens: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    closes: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class Channel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: ChannelKind
    name: Bilingual | None = None
    url: WebLink | None = None
    hours: list[OpeningHours] = Field(default_factory=list, max_length=14)


class Evidence(BaseModel):
    """A document the citizen must show or attach (CPSV-AP Evidence)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Bilingual
    description: Bilingual | None = None
    original_required: bool = False


class Fee(BaseModel):
    """A cost in Omani rials (three decimals: baisa), per channel (CPSV-AP Cost)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    channel: ChannelKind
    amount_omr: Decimal = Field(ge=0, max_digits=9, decimal_places=3)
    description: Bilingual | None = None
    illustrative: bool = False


class LegalResource(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    title: Bilingual
    reference: ShortText | None = None
    url: WebLink | None = None


def citizens_only() -> list[Audience]:
    return ["citizen"]


class Synonyms(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    ar: list[Annotated[SafeText, Field(max_length=100)]] = Field(default_factory=list, max_length=100)
    en: list[Annotated[SafeText, Field(max_length=100)]] = Field(default_factory=list, max_length=100)


# A document a ministry issues, as its systems name it (driving_licence, counselling_appointment).
DocumentType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")]


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
    # Health, disability, social benefits, court matters: a citizen's request for one is never the reason for a
    # suggestion to someone else. Optional, so earlier producers and consumers of v1 keep working.
    sensitive: bool = False
    life_events: list[str] = Field(default_factory=list)
    target_days: int
    steps: list[Step] = Field(default_factory=list)
    form: list[FormField] = Field(default_factory=list)
    synonyms: Synonyms = Field(default_factory=Synonyms)
    audience: list[Audience] = Field(default_factory=citizens_only)
    channels: list[Channel] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    eligibility: Bilingual | None = None
    fees: list[Fee] = Field(default_factory=list)
    output: Bilingual | None = None
    legal_basis: list[LegalResource] = Field(default_factory=list)
    # When a manual service was first brought online (manual → semi_electronic or electronic), so KPIs can
    # compare digital take-up before and after.
    digitised_on: date | None = None
    # The document types this service issues, besides the one a renewal rule names it for: a ministry may
    # record only the documents its own services issue or renew. Optional, so earlier v1 readers keep working.
    issues_documents: list[DocumentType] = Field(default_factory=list, max_length=20)


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


class ReadinessAssessed(IntegrationEvent):
    """On portal.events with key `catalog.readiness.assessed`: a ministry answered (or re-answered) the
    readiness questionnaire of one service. The costs are per transaction, in Omani rials."""

    TYPE = "om.portal.catalog.readiness.assessed.v1"
    slug: str
    ministry: str
    maturity: Maturity
    volume_per_year: int
    manual_cost_omr: Decimal
    digital_cost_omr: Decimal
    assessed_at: datetime
