"""A citizen's app that retries a submission with its Idempotency-Key gets the first answer, never a second request
(on SQLite and PostgreSQL, and when the retries race each other)."""

import asyncio
import dataclasses
from datetime import timedelta

from shared.db import utcnow
from tests.factories import create_citizen
from tests.integration.requests.helpers import Harness

AISHA = create_citizen()


async def send(harness: Harness, key: str | None, licence: str = "L-1234", citizen=AISHA):  # type: ignore[no-untyped-def]
    headers = harness.as_(citizen) | ({"Idempotency-Key": key} if key is not None else {})
    return await harness.client.post("/api/v1/requests", headers=headers,
                                     json={"service": "renew-licence", "fields": {"licence": licence}})


async def my_tracking_numbers(harness: Harness) -> list[str]:
    response = await harness.client.get("/api/v1/requests", headers=harness.as_(AISHA))
    return [item["tracking_number"] for item in response.json()["items"]]


async def test_a_retry_with_the_same_key_and_answers_returns_the_first_request(harness: Harness) -> None:
    first = await send(harness, "8e0c1b6a-retry-1")
    again = await send(harness, "8e0c1b6a-retry-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await my_tracking_numbers(harness) == [first.json()["tracking_number"]]


async def test_the_same_key_with_other_answers_is_a_conflict_and_makes_nothing(harness: Harness) -> None:
    first = await send(harness, '"key-7"')
    other = await send(harness, "key-7", licence="L-9999")

    assert other.status_code == 409
    assert other.json()["code"] == "idempotency-key-reused"
    assert await my_tracking_numbers(harness) == [first.json()["tracking_number"]]


async def test_retries_racing_each_other_make_one_request(harness: Harness) -> None:
    answers = await asyncio.gather(*(send(harness, "racing-key") for _ in range(6)))

    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["tracking_number"] for a in answers}) == 1
    assert len(await my_tracking_numbers(harness)) == 1


async def test_keys_are_each_citizens_own_and_kept_for_a_day(harness: Harness) -> None:
    mine = await send(harness, "shared-key")
    theirs = await send(harness, "shared-key", citizen=create_citizen("87654321"))
    assert theirs.status_code == 201
    assert theirs.json()["tracking_number"] != mine.json()["tracking_number"]

    tomorrow = utcnow() + timedelta(hours=24, minutes=1)
    harness.app.state.deps = dataclasses.replace(harness.app.state.deps, clock=lambda: tomorrow)
    later = await send(harness, "shared-key")
    assert later.status_code == 201
    assert later.json()["tracking_number"] != mine.json()["tracking_number"]
    assert "Idempotent-Replayed" not in later.headers


async def test_without_a_key_each_submission_is_a_new_request_and_a_bad_key_is_refused(harness: Harness) -> None:
    assert (await send(harness, None)).json() != (await send(harness, None)).json()
    refused = await send(harness, "x" * 256)
    assert refused.status_code == 400
    assert refused.json()["code"] == "idempotency-key-invalid"
    assert len(await my_tracking_numbers(harness)) == 2
