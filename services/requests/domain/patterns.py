"""Next-service patterns learned from completed requests (mined in domain/mining.py, out of the serving process),
and the suggestions they make. No I/O.

A pattern "after A, then B" counts the distinct citizens who completed A and then asked for B within the
window. Its figures: support (share of all citizens), confidence (share of A's citizens), lift (confidence
over B's own share). Privacy by construction: a pattern exists only when at least `min_citizens` distinct
citizens support it, only as these aggregates, and never with a sensitive service as its reason.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.i18n import load

WINDOW_DAYS = 180
MIN_CITIZENS = 50
SUGGESTIONS = 3


@dataclass(frozen=True)
class Pattern:
    after: str
    then: str
    citizens: int
    support: float
    confidence: float
    lift: float


@dataclass(frozen=True)
class Thresholds:
    """Staff's bar for showing a pattern to citizens without a person approving it first."""

    min_citizens: int
    min_confidence: float
    min_lift: float

    def met_by(self, pattern: Pattern) -> bool:
        return (pattern.citizens >= self.min_citizens and pattern.confidence >= self.min_confidence
                and pattern.lift >= self.min_lift)


@dataclass(frozen=True)
class Suggestion:
    service: str
    because: Pattern


def by_reason(patterns: Iterable[Pattern]) -> dict[str, list[Pattern]]:
    grouped: dict[str, list[Pattern]] = {}
    for pattern in patterns:
        grouped.setdefault(pattern.after, []).append(pattern)
    return grouped


def suggest(done: Sequence[str], patterns: Mapping[str, Sequence[Pattern]], *, exclude: Iterable[str] = (),
            sensitive: Iterable[str] = (), limit: int = SUGGESTIONS) -> list[Suggestion]:
    """What the citizen may need next after the services they completed (`done`, most recent first): each
    service once, through its most confident pattern; never what they already asked for or set aside, and
    never because of a sensitive service (the flag is read again now: the catalogue may have changed)."""
    skip = set(exclude) | set(done)
    hidden = set(sensitive)
    best: dict[str, Pattern] = {}
    for after in dict.fromkeys(done):
        if after in hidden:
            continue
        for pattern in patterns.get(after, ()):
            if pattern.then in skip:
                continue
            kept = best.get(pattern.then)
            if kept is None or (pattern.confidence, pattern.lift) > (kept.confidence, kept.lift):
                best[pattern.then] = pattern
    ranked = sorted(best.values(), key=lambda p: (-p.confidence, -p.lift, p.then))
    return [Suggestion(p.then, p) for p in ranked[:limit]]


# The reason's words (services/requests/locale), read once at import like the rest of the code: a count of days
# takes one of Arabic's six plural forms (3 أيام, 11 يومًا, 100 يوم), which only a plural entry says right.
WORDS = load(Path(__file__).resolve().parent.parent / "locale", "requests")


def reason(pattern: Pattern, after_title: str, lang: str, window_days: int = WINDOW_DAYS) -> str:
    words = WORDS["en" if lang == "en" else "ar"]
    return str(words.ngettext("suggestion_reason_n", "suggestion_reason_n", window_days)) % {
        "share": round(pattern.confidence * 100), "service": after_title, "num": window_days}


@dataclass(frozen=True)
class Learning:
    """The settings learning runs with (REQUESTS_INSIGHTS_*)."""

    min_citizens: int = MIN_CITIZENS
    window_days: int = WINDOW_DAYS
    # How far back training reads completed requests.
    history_days: int = 730
