"""Search is told how many requests each service has had so far (it ranks services by them): every service's total
in a process's first report, then only those that moved, and nothing when none did."""

import asyncio

import pytest

from services.requests import handlers
from shared.bus import Envelope
from shared.bus.topology import SEARCH_REQUESTS
from shared.contracts.requests import SubmissionsCounted
from tests.integration.requests.helpers import Harness, create_service_record, on, submit

pytestmark = pytest.mark.integration


async def reports_to_search(harness: Harness, expected: int) -> list[dict[str, int]]:
    """The reports the outbox relay delivered to search's queue, once `expected` have arrived."""
    taken: list[dict[str, int]] = []
    async with asyncio.timeout(5):
        while len(taken) < expected:
            taken += [SubmissionsCounted.model_validate(Envelope.from_body(message.body).data).submissions
                      for message in await harness.bus.drain(SEARCH_REQUESTS.name)]
            await asyncio.sleep(0.02)
    return taken


async def test_search_is_told_every_services_total_first_then_only_the_totals_that_moved(harness: Harness) -> None:
    await harness.publish_service(create_service_record("moh-permit", ministry="moh"))
    for day, service in (("2026-01-30", "renew-licence"), ("2026-02-02", "renew-licence"),
                         ("2026-02-03", "moh-permit")):
        await submit(harness, on(day), service)
    reported = handlers.Reported()

    first = await handlers.report_submission_counts(harness.app.state.deps, reported)
    await submit(harness, on("2026-02-03", 9), "renew-licence")
    moved = await handlers.report_submission_counts(harness.app.state.deps, reported)
    unchanged = await handlers.report_submission_counts(harness.app.state.deps, reported)

    assert (first, moved, unchanged) == (2, 1, 0)
    assert await reports_to_search(harness, 2) == [{"moh-permit": 1, "renew-licence": 2}, {"renew-licence": 3}]
    await asyncio.sleep(0.2)
    assert await harness.bus.drain(SEARCH_REQUESTS.name) == []
