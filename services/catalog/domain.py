"""Catalogue rules: what a complete, publishable service description is, and how it changes."""

import hashlib
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.contracts.base import Bilingual, SafeText, ShortText
from shared.contracts.catalog import (
    Audience,
    Channel,
    DocumentType,
    Evidence,
    Fee,
    FormField,
    LegalResource,
    Maturity,
    ServiceRecord,
    Step,
    Synonyms,
    citizens_only,
)

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MINISTRY_CODE = re.compile(r"^[a-z][a-z0-9]{1,15}$")
LIFE_EVENTS = frozenset({"birth", "education", "work", "marriage", "housing", "driving", "travel", "health",
                         "business", "retirement", "death", "residency", "vehicle", "family"})
API_KEY_PREFIX = "pk_"

Status = Literal["published", "retired"]


class CatalogError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


class NotFound(CatalogError):
    pass


class Conflict(CatalogError):
    pass


class Forbidden(CatalogError):
    pass


def _filled(text: Bilingual) -> Bilingual:
    if not text.ar.strip() or not text.en.strip():
        raise ValueError("both the Arabic and the English text are required")
    return text


class BilingualTitle(Bilingual):
    ar: ShortText
    en: ShortText


class ServiceDraft(BaseModel):
    """What a ministry sends to publish or update a service."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=3, max_length=80)
    title: BilingualTitle
    description: Bilingual
    keywords: list[Annotated[SafeText, Field(max_length=100)]] = Field(default_factory=list, max_length=50)
    maturity: Maturity
    # Health, disability, social benefits, court matters: never the reason for a suggestion to someone else.
    sensitive: bool = False
    life_events: list[str] = Field(default_factory=list, max_length=10)
    target_days: int = Field(ge=1, le=365)
    steps: list[Step] = Field(default_factory=list, max_length=30)
    form: list[FormField] = Field(default_factory=list, max_length=60)
    synonyms: Synonyms = Field(default_factory=Synonyms)
    audience: list[Audience] = Field(default_factory=citizens_only, min_length=1)
    channels: list[Channel] = Field(default_factory=list, max_length=10)
    evidence: list[Evidence] = Field(default_factory=list, max_length=30)
    eligibility: Bilingual | None = None
    fees: list[Fee] = Field(default_factory=list, max_length=20)
    output: Bilingual | None = None
    legal_basis: list[LegalResource] = Field(default_factory=list, max_length=10)
    issues_documents: list[DocumentType] = Field(default_factory=list, max_length=20)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("use lower-case letters, digits and single hyphens")
        return value

    @field_validator("title", "description")
    @classmethod
    def _bilingual(cls, value: Bilingual) -> Bilingual:
        return _filled(value)

    @field_validator("life_events")
    @classmethod
    def _life_events(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - LIFE_EVENTS)
        if unknown:
            raise ValueError(f"unknown life events {unknown}; known: {sorted(LIFE_EVENTS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "ServiceDraft":
        names = [f.name for f in self.form]
        if len(names) != len(set(names)):
            raise ValueError("form field names must be unique")
        for item in self.form:
            if item.kind in ("choice", "multi_choice") and not item.choices:
                raise ValueError(f"form field {item.name!r} is a choice but lists no choices")
        offered = {c.kind for c in self.channels}
        unpriced = sorted({f.channel for f in self.fees} - offered) if self.channels else []
        if unpriced:
            raise ValueError(f"fees are given for channels the service does not offer: {unpriced}")
        if self.channels and self.maturity in ("electronic", "semi_electronic") and "online" not in offered:
            raise ValueError(f"a {self.maturity} service offers the online channel")
        if len(set(self.audience)) != len(self.audience):
            raise ValueError("each audience is listed once")
        return self


class MinistryDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=2, max_length=16)
    # The catalogue keeps a ministry's names in 200 characters, as a service's title.
    name: BilingualTitle
    # Handled in the portal's workspace by its own staff, rather than by a system of its own on the bus.
    workspace: bool = False

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not MINISTRY_CODE.match(value):
            raise ValueError("a ministry code is 2-16 lower-case letters and digits, starting with a letter")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: Bilingual) -> Bilingual:
        return _filled(value)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # Keys are 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


def build_record(draft: ServiceDraft, ministry: str, ministry_name: Bilingual, version: int,
                 digitised_on: date | None = None) -> ServiceRecord:
    return ServiceRecord.model_validate(draft.model_dump() | {"ministry": ministry, "version": version,
                                                               "ministry_name": ministry_name.model_dump(),
                                                               "digitised_on": digitised_on})


def digitisation_date(live: ServiceRecord | None, maturity: str, today: date) -> date | None:
    """The day a manual service first went online is kept for good; a service born online was never digitised."""
    if live is None:
        return None
    if live.digitised_on is not None:
        return live.digitised_on
    return today if live.maturity == "manual" and maturity != "manual" else None


def ensure_can_manage(actor_ministry: str | None, is_admin: bool, owner: str) -> None:
    if not is_admin and actor_ministry != owner:
        raise Forbidden("forbidden", "A ministry manages only its own services.")


def ensure_editable(status: str, slug: str) -> None:
    if status == "retired":
        raise Conflict("service-retired", f"The service {slug!r} is retired; publish it under a new slug.")


class ReadinessAnswers(BaseModel):
    """The readiness questionnaire a ministry answers per service (business and technical)."""

    model_config = ConfigDict(extra="forbid")

    procedure_documented: bool
    steps_standardised: bool
    legal_basis_allows_digital: bool
    staff_trained: bool
    documents_digital_percent: int = Field(ge=0, le=100)
    evidence_from_registries: bool
    has_case_system: bool
    has_api: bool
    e_payment_ready: bool
    volume_per_year: int = Field(ge=0, le=50_000_000)
    manual_cost_omr: Decimal = Field(ge=0, max_digits=9, decimal_places=3)
    digital_cost_omr: Decimal = Field(ge=0, max_digits=9, decimal_places=3)


class ReadinessScore(BaseModel):
    business: float
    technical: float
    readiness: float
    impact: float
    digital_gap: float
    annual_saving_omr: Decimal
    priority: float


_MATURITY_GAP = {"manual": 1.0, "semi_electronic": 0.5, "electronic": 0.0}


def score_readiness(answers: ReadinessAnswers, maturity: str, life_events: Sequence[str],
                    audience: Sequence[str]) -> ReadinessScore:
    """Which services to bring online or digitise first: impact on people, readiness, and what is left to do.

    priority = 45% impact + 35% readiness + 20% digital gap, each 0–100. Impact weighs yearly volume on a
    log scale (a million a year scores full), the life events a service serves, and how many audiences it
    reaches; the gap is 100 for a manual service, 50 for a semi-electronic one, 0 for an electronic one.
    """
    business = (30 * answers.procedure_documented + 20 * answers.steps_standardised
                + 30 * answers.legal_basis_allows_digital + 20 * answers.staff_trained)
    technical = (0.30 * answers.documents_digital_percent + 15 * answers.evidence_from_registries
                 + 20 * answers.has_case_system + 20 * answers.has_api + 15 * answers.e_payment_ready)
    readiness = (business + technical) / 2
    volume = min(math.log10(answers.volume_per_year + 1) / 6, 1.0)
    impact = 50 * volume + 30 * min(len(set(life_events)), 3) / 3 + 20 * min(len(set(audience)), 3) / 3
    gap = _MATURITY_GAP.get(maturity, 0.0)
    saving = (answers.volume_per_year * max(answers.manual_cost_omr - answers.digital_cost_omr, Decimal(0))
              * Decimal(str(gap))).quantize(Decimal("0.001"))
    priority = 0.45 * impact + 0.35 * readiness + 0.20 * gap * 100
    return ReadinessScore(business=round(business, 1), technical=round(technical, 1),
                          readiness=round(readiness, 1), impact=round(impact, 1), digital_gap=gap,
                          annual_saving_omr=saving, priority=round(priority, 1))


def localise(value: Any, lang: str) -> Any:
    """The record as one language reads it: every {ar, en} pair becomes the text in `lang`."""
    if isinstance(value, dict):
        if set(value) == {"ar", "en"}:
            return value[lang]
        return {k: localise(v, lang) for k, v in value.items()}
    if isinstance(value, list):
        return [localise(v, lang) for v in value]
    return value


@dataclass(frozen=True)
class OnboardingProgress:
    """How far a ministry has come: services described, assessed, published, and brought online."""

    ministry: str
    name: Bilingual
    workspace: bool
    services: int = 0
    assessed: int = 0
    published: int = 0
    digitised: int = 0
    electronic: int = 0
    semi_electronic: int = 0
    manual: int = 0


def onboarding_progress(ministries: Iterable[tuple[str, Bilingual, bool]],
                        services: Iterable[tuple[str, ServiceRecord]], assessed: set[str]
                        ) -> list[OnboardingProgress]:
    """`services` are (status, live record) pairs; retired services no longer count."""
    counts: dict[str, dict[str, int]] = {}
    for status, record in services:
        if status == "retired":
            continue
        row = counts.setdefault(record.ministry, dict.fromkeys(
            ("services", "assessed", "published", "digitised", "electronic", "semi_electronic", "manual"), 0))
        row["services"] += 1
        row["assessed"] += record.slug in assessed
        row["published"] += status == "published"
        row["digitised"] += record.digitised_on is not None
        row[record.maturity] += 1
    return [OnboardingProgress(code, name, workspace, **counts.get(code, {})) for code, name, workspace in ministries]
