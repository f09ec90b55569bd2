"""Every way a request can be moved wrongly is refused with a reason a ministry or citizen can act on."""

from typing import Any

import pytest

from shared.contracts.tracking import format_tracking_number
from tests.factories import create_citizen, create_ministry_identity
from tests.integration.bus.helpers import eventually
from tests.integration.requests.helpers import Harness, create_service_record

pytestmark = pytest.mark.integration


def mistype(tracking_number: str) -> str:
    ministry, year, sequence, check = tracking_number.split("-")
    wrong = "0" if sequence[-1] != "0" else "1"
    return f"{ministry}-{year}-{sequence[:-1]}{wrong}-{check}"


async def rest_status(harness: Harness, tracking_number: str, status: str, ministry: str = "rop") -> Any:
    return await harness.client.post(f"/api/v1/ministry/requests/{tracking_number}/status",
                                     headers=harness.as_(create_ministry_identity(ministry)), json={"status": status})


@pytest.mark.parametrize(("target", "ministry", "expected_status", "expected_code"), [
    ("approved", "rop", 409, "illegal-transition"),
    ("received", "moh", 403, "wrong-ministry"),
])
async def test_the_rest_twin_refuses_a_move_with_a_reason(harness: Harness, target: str, ministry: str,
                                                          expected_status: int, expected_code: str) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    response = await rest_status(harness, tracking_number, target, ministry)
    assert response.status_code == expected_status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == expected_code
    assert (await harness.status_of(tracking_number))["status"] == "submitted"


async def test_an_illegal_move_names_the_moves_that_are_allowed(harness: Harness) -> None:
    tracking_number = (await harness.submit()).json()["tracking_number"]
    response = await rest_status(harness, tracking_number, "completed")
    assert response.json()["allowed"] == ["received"]


@pytest.mark.parametrize(("typed", "expected_status", "expected_code"), [
    ("unknown", 404, "request-not-found"),
    ("mistyped", 422, "tracking-number-mistyped"),
    ("ROP-26-1", 422, "tracking-number-malformed"),
])
async def test_a_wrong_tracking_number_is_explained_over_rest_and_for_the_citizen(
        harness: Harness, typed: str, expected_status: int, expected_code: str) -> None:
    real = (await harness.submit()).json()["tracking_number"]
    number = {"unknown": format_tracking_number("rop", 2026, 999_999), "mistyped": mistype(real)}.get(typed, typed)
    assert (await rest_status(harness, number, "received")).json()["code"] == expected_code
    citizen = await harness.client.get(f"/api/v1/requests/{number}", headers=harness.as_(create_citizen()))
    assert citizen.status_code == expected_status
    assert citizen.json()["code"] == expected_code


@pytest.mark.parametrize(("event", "reason"), [
    ("foreign", "wrong-ministry"),
    ("mistyped", "tracking-number-mistyped"),
    ("unknown", "request-not-found"),
    ("illegal", "illegal-transition"),
])
async def test_a_bad_status_event_on_the_bus_is_dead_lettered_with_its_reason(harness: Harness, event: str,
                                                                               reason: str) -> None:
    real = (await harness.submit()).json()["tracking_number"]
    if event == "foreign":
        await harness.publish_service(create_service_record(slug="health-card", ministry="moh"))
        await harness.ministry_says(real, "received", ministry="moh")
    elif event == "mistyped":
        await harness.ministry_says(mistype(real), "received")
    elif event == "unknown":
        await harness.ministry_says(format_tracking_number("rop", 2026, 999_999), "received")
    else:
        await harness.ministry_says(real, "completed")
    [kept] = await harness.dead_letters(1)
    assert kept["reason"].startswith(reason)
    assert (await harness.status_of(real))["status"] == "submitted"


@pytest.mark.parametrize(("body", "expected_status", "expected_code"), [
    ({"service": "renew-licence", "fields": {}}, 422, "invalid-fields"),
    ({"service": "renew-licence", "fields": {"licence": "L-1234", "colour": "red"}}, 422, "invalid-fields"),
    ({"service": "no-such-service", "fields": {}}, 404, "service-not-found"),
    ({"service": "Renew Licence!", "fields": {}}, 422, "invalid-input"),
    ({"service": "renew-licence", "fields": {"licence": "L-1234"}, "extra": 1}, 422, "invalid-input"),
])
async def test_an_invalid_submission_is_refused_and_nothing_is_queued(harness: Harness, body: dict[str, Any],
                                                                      expected_status: int,
                                                                      expected_code: str) -> None:
    harness.catalog_knows_nothing()
    response = await harness.client.post("/api/v1/requests", headers=harness.as_(create_citizen()), json=body)
    assert response.status_code == expected_status
    assert response.json()["code"] == expected_code
    assert harness.bus.queues["ministry.rop.inbox"].messages.qsize() == 0


async def test_a_manual_service_takes_no_online_request_until_its_ministry_brings_it_online(
        harness: Harness) -> None:
    paper = create_service_record(slug="paper-permit").model_copy(update={"maturity": "manual"})
    await harness.publish_service(paper)
    citizen = harness.as_(create_citizen())
    body = {"service": "paper-permit", "fields": {"licence": "L-1234"}}
    refused = await harness.client.post("/api/v1/requests", headers=citizen, json=body)
    assert (refused.status_code, refused.json()["code"]) == (409, "service-not-online")
    await harness.publish_service(paper.model_copy(update={"maturity": "semi_electronic", "version": 2}))

    async def accepted() -> bool:
        return (await harness.client.post("/api/v1/requests", headers=citizen, json=body)).status_code == 201

    await eventually(accepted)
