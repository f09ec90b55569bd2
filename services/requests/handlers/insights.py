"""Learning from the portal's own requests: retraining the next-service patterns (on a schedule and on demand),
staff's decisions on them, and the suggestions a citizen sees, each with its reason in both languages."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.requests.domain import Invalid, NotFound
from services.requests.domain.patterns import Pattern, Thresholds, reason, suggest
from services.requests.handlers.deps import Deps
from services.requests.store import PatternRow, RequestRow, RequestsUnitOfWork, RunRow
from services.requests.store.insights import APPROVED, DISMISSED, NOTIFIED, OFF
from shared.auth import Identity
from shared.bus.topology import EVENTS
from shared.contracts.base import Bilingual
from shared.contracts.requests import SuggestionOffered
from shared.logging import get_logger

log = get_logger(__name__)


async def retrain_now(deps: Deps) -> RunRow:
    """Patterns, then each service's demand forecast, learned in a child process (services/requests/learning)."""
    return await deps.retraining.retrain(deps.learning, deps.clock())


async def patterns(deps: Deps, state: str | None = None) -> tuple[list[PatternRow], RunRow | None,
                                                                  Thresholds | None]:
    async with deps.uow(read_only=True) as uow:
        return (await uow.insights.patterns(state), await uow.insights.last_run(),
                await uow.insights.thresholds())


async def decide_pattern(after: str, then: str, approve: bool, staff: Identity, deps: Deps) -> PatternRow:
    at = deps.clock()
    async with deps.uow() as uow:
        if not await uow.insights.decide(after, then, APPROVED if approve else OFF, staff.subject, at):
            raise NotFound("pattern-not-found", "No learned pattern leads from this service to that one.")
        row = await uow.insights.pattern(after, then)
        await uow.commit()
    assert row is not None
    log.info("insights_pattern_decided", after=after, then=then, approved=approve)
    return row


async def set_auto_approval(bar: Thresholds | None, staff: Identity, deps: Deps) -> Thresholds | None:
    if bar is not None and bar.min_citizens < deps.learning.min_citizens:
        raise Invalid("auto-approval-below-threshold",
                      f"No pattern is learned from fewer than {deps.learning.min_citizens} citizens.")
    async with deps.uow() as uow:
        await uow.insights.set_thresholds(bar, staff.subject, deps.clock())
        await uow.commit()
    return bar


@dataclass(frozen=True)
class Suggested:
    service: str
    ministry: str
    title: Bilingual
    because: Pattern
    because_title: Bilingual
    reason: Bilingual


@dataclass(frozen=True)
class MySuggestions:
    items: list[Suggested]
    # Every service the citizen set aside, so that the life-event rules' suggestions leave them out too.
    dismissed: set[str]
    # Whether they opted in to a notice of each suggestion.
    notices: bool


async def my_suggestions(citizen: Identity, deps: Deps, after: str | None = None) -> MySuggestions:
    """Up to three services the citizen may need next, from approved patterns only. With `after` (a tracking
    number of theirs), only what follows that request."""
    # Not entered: its one read opens what it needs (on SQLite, one hop and no connection of the event loop's).
    return await _suggestions(deps.uow(read_only=True), citizen.subject, deps.clock(), deps.learning.window_days,
                              after)


async def _suggestions(uow: RequestsUnitOfWork, citizen: str, at: datetime, window: int, after: str | None
                       ) -> MySuggestions:
    inputs = await uow.insights.for_suggestions(citizen, at - timedelta(days=window), after)
    history, choices, approved = inputs.history, inputs.choices, inputs.approved
    if after is not None and not any(tracking == after for tracking, *_ in history):
        raise NotFound("request-not-found", "You have no such request in the last months.")
    done = [service for tracking, service, status, _ in history if status == "completed"
            and (after is None or tracking == after)]
    if not done:
        return MySuggestions([], choices.dismissed, choices.notices)
    known = approved.services
    sensitive = {s for s in approved.by_reason if s not in known or known[s][1].sensitive}
    picked = suggest(done, approved.by_reason, exclude={s for _, s, _, _ in history} | choices.dismissed,
                     sensitive=sensitive)
    found = []
    for suggestion in picked:
        status, record = known.get(suggestion.service, ("unknown", None))
        lead = known[suggestion.because.after][1] if suggestion.because.after in known else None
        if record is None or status != "published" or lead is None:
            continue
        found.append(Suggested(
            record.slug, record.ministry, record.title, suggestion.because, lead.title,
            Bilingual(ar=reason(suggestion.because, lead.title.ar, "ar", window),
                      en=reason(suggestion.because, lead.title.en, "en", window))))
    return MySuggestions(found, choices.dismissed, choices.notices)


async def offer_next_service(uow: RequestsUnitOfWork, row: RequestRow, at: datetime, window: int) -> None:
    """A request just completed (in this unit of work): a citizen who opted in is told of the first service they
    may need next that they were never told of. The notified mark makes it once, whichever replica gets there."""
    if not await uow.preferences.suggestion_notices(row.citizen):
        return
    for found in (await _suggestions(uow, row.citizen, at, window, row.tracking_number)).items:
        if await uow.insights.mark(row.citizen, found.service, NOTIFIED, at):
            await uow.publish(SuggestionOffered(
                tracking_number=row.tracking_number, citizen=row.citizen, lang="en" if row.lang == "en" else "ar",
                service=found.service, ministry=found.ministry, because_of=found.because.after, offered_at=at),
                exchange=EVENTS, routing_key="requests.suggestion.offered", subject=row.tracking_number)
            log.info("suggestion_offered", service=found.service, because_of=found.because.after)
            return


async def suggestion_notices(citizen: Identity, deps: Deps) -> bool:
    async with deps.uow(read_only=True) as uow:
        return await uow.preferences.suggestion_notices(citizen.subject)


async def set_suggestion_notices(citizen: Identity, enabled: bool, deps: Deps) -> bool:
    async with deps.uow() as uow:
        await uow.preferences.set_suggestion_notices(citizen.subject, enabled, deps.clock())
        await uow.commit()
    return enabled


async def dismiss_suggestion(citizen: Identity, service: str, deps: Deps) -> None:
    async with deps.uow() as uow:
        if await uow.catalogue.get(service) is None:
            raise NotFound("service-not-found", "No such service.")
        await uow.insights.mark(citizen.subject, service, DISMISSED, deps.clock())
        await uow.commit()
