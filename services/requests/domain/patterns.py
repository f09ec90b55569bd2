"""Next-service patterns learned from completed requests, and the suggestions they make. No I/O.

A pattern "after A, then B" counts the distinct citizens who completed A and then asked for B within the
window. Its figures: support (share of all citizens), confidence (share of A's citizens), lift (confidence
over B's own share). Privacy by construction: a pattern exists only when at least `min_citizens` distinct
citizens support it, only as these aggregates, and never with a sensitive service as its reason.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from shared.i18n import load

WINDOW_DAYS = 180
MIN_CITIZENS = 50
SUGGESTIONS = 3
# How many later requests of the same citizen are paired with each one: a citizen filing hundreds of requests
# (an agent for a company) would otherwise cost quadratic time and weigh nothing more in distinct citizens.
LOOKAHEAD = 30
# A pair at or near lift 1 is two popular services met by chance, not a path people take.
MIN_LIFT = 1.2

Ints = npt.NDArray[np.int64]


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


def mine(citizen: Ints, service: Ints, seconds: Ints, services: Sequence[str], *,
         window_days: int = WINDOW_DAYS, min_citizens: int = MIN_CITIZENS,
         sensitive: Iterable[str] = (), min_lift: float = MIN_LIFT) -> list[Pattern]:
    """Patterns from completed requests given as equal arrays (citizen number, service index into `services`,
    time in seconds), strongest first. A pair below `min_citizens` distinct citizens, with lift at or under
    `min_lift`, or led by a sensitive service is not kept at all."""
    n_services = len(services)
    if len(citizen) == 0:
        return []
    order = np.lexsort((seconds, citizen))
    c, s, t = citizen[order], service[order], seconds[order]
    everyone = len(np.unique(c))
    per_service = np.bincount(np.unique(c * n_services + s) % n_services, minlength=n_services)
    window = window_days * 86400
    keys: list[Ints] = []
    lead = np.arange(len(c) - 1)
    for step in range(1, LOOKAHEAD + 1):
        lead = lead[lead + step < len(c)]
        follow = lead + step
        lead = lead[(c[follow] == c[lead]) & (t[follow] - t[lead] <= window)]
        if len(lead) == 0:
            break
        a, b = s[lead], s[lead + step]
        differ = a != b
        keys.append((c[lead][differ] * n_services + a[differ]) * n_services + b[differ])
    if not keys:
        return []
    pairs = np.unique(np.concatenate(keys)) % (n_services * n_services)
    together = np.bincount(pairs, minlength=n_services * n_services)
    hidden = {services.index(slug) for slug in sensitive if slug in services}
    found = []
    for pair in np.flatnonzero(together >= min_citizens):
        a, b = divmod(int(pair), n_services)
        if a in hidden:
            continue
        both = int(together[pair])
        confidence = both / int(per_service[a])
        lift = confidence / (int(per_service[b]) / everyone)
        if lift > min_lift:
            found.append(Pattern(services[a], services[b], both, both / everyone, confidence, lift))
    return sorted(found, key=lambda p: (-p.confidence, -p.lift, p.after, p.then))


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
