"""Integration events: the contract between services. Past-tense names, versioned CloudEvents types."""

import re
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict

# NUL and other C0 controls (tab and line breaks aside) and unpaired surrogates cannot be stored or shown.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def has_unsafe_characters(text: str) -> bool:
    return _UNSAFE.search(text) is not None


def _safe(text: str) -> str:
    if has_unsafe_characters(text):
        raise ValueError("contains control characters or unpaired surrogates")
    return text


SafeText = Annotated[str, AfterValidator(_safe)]


class IntegrationEvent(BaseModel):
    # Consumers ignore fields they do not know, so adding a field is never a breaking change.
    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str]


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    ar: SafeText
    en: SafeText
