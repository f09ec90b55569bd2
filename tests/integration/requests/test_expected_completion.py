"""Every open request says when it should be done, from how long the service's past requests took."""

from datetime import timedelta

import pytest

from tests.factories import create_citizen
from tests.integration.requests.helpers import Harness, at, create_service_record, move, on, submit

pytestmark = pytest.mark.integration


async def test_an_open_request_is_expected_after_the_typical_time_of_each_state_still_ahead(
        harness: Harness) -> None:
    for day in ("2026-01-04", "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"):
        start = on(day)
        tracking_number = await submit(harness, start)
        await move(harness, tracking_number, ("received", start + timedelta(hours=1)),
                   ("in_review", start + timedelta(hours=3)), ("approved", start + timedelta(hours=27)),
                   ("completed", start + timedelta(hours=51)))
    waiting = await submit(harness, on("2026-01-11"))
    await move(harness, waiting, ("received", on("2026-01-11", 9)))
    at(harness, on("2026-01-11", 10))
    body = await harness.status_of(waiting)
    # In received since 09:00 (typically 2 h), then in review 24 h and approved 24 h.
    assert body["expected_completion"] == "2026-01-13T11:00:00Z"
    [listed] = [i for i in (await harness.client.get("/api/v1/requests", headers=harness.as_(create_citizen()))
                            ).json()["items"] if i["tracking_number"] == waiting]
    assert listed["expected_completion"] == body["expected_completion"]
    done = (await harness.client.get("/api/v1/requests", headers=harness.as_(create_citizen()))).json()["items"]
    assert {i["expected_completion"] for i in done if i["status"] == "completed"} == {None}


async def test_a_service_with_too_little_history_expects_the_due_date(harness: Harness) -> None:
    await harness.publish_service(create_service_record(slug="new-service"))
    tracking_number = await submit(harness, on("2026-01-04"), "new-service")
    body = await harness.status_of(tracking_number)
    assert body["expected_completion"] == body["due_on"]
