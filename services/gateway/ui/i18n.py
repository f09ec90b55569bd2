"""The gateway's words: gettext catalogues in services/gateway/locale, Arabic first and English.

Two domains: `ui` (the citizen UI, and the page frame both UIs share) and `workspace` (the ministry workspace,
falling back to `ui` for the words both say alike). services/gateway/locale/README.md says how to add a string.
"""

from functools import cache
from pathlib import Path

from babel.support import Translations
from jinja2 import pass_context
from jinja2.runtime import Context

from shared.i18n import load

LOCALE = Path(__file__).resolve().parent.parent / "locale"
# The life events the home page offers, in its order; their names are the catalogue's `life_event_*`.
LIFE_EVENTS = ("birth", "education", "work", "marriage", "housing", "driving", "travel", "health", "business",
               "retirement", "death", "residency", "vehicle", "family")


@cache
def citizen_words() -> dict[str, Translations]:
    return load(LOCALE, "ui")


@cache
def workspace_words() -> dict[str, Translations]:
    return load(LOCALE, "workspace", fallback=citizen_words())


@pass_context
def document_name(context: Context, document_type: str | None) -> str:
    """A document type in the page's language; one the catalogue does not name yet (a ministry's new type) as is."""
    key = f"document_{document_type or ''}"
    found = str(context["translations"].gettext(key))
    return (document_type or "").replace("_", " ") if found == key else found
