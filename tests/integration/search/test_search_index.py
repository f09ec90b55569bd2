"""The search service follows the catalogue over the bus and answers citizens over HTTP, on both databases."""

import json

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from structlog.testing import capture_logs

from services.search.store import inbox
from shared.bus import Envelope
from shared.bus.ports import ORIGIN_QUEUE_HEADER, REASON_HEADER, RawDelivery
from shared.contracts.catalog import ServicePublished, ServiceRetired, ServiceUpdated
from tests.integration.search.helpers import (
    create_service_record,
    deliver,
    envelope_for,
    eventually,
    found,
    publish,
    search,
    wait_until_consumed,
    wait_until_found,
)


async def inbox_rows(app: FastAPI, event_id: str) -> int:
    async with app.state.runtime.engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(inbox).where(inbox.c.event_id == event_id))
    return int(count or 0)


async def test_a_published_service_is_found_by_an_arabic_query_without_hamza(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    record = create_service_record(slug="issue-passport", title_ar="إصدار جواز السفر",
                                   title_en="Issue a passport")
    await publish(app, ServicePublished(service=record))

    await wait_until_found(client, "اصدار جواز", "issue-passport")

    hit = (await search(client, "اصدار جواز"))["hits"][0]
    assert hit["title"] == {"ar": "إصدار جواز السفر", "en": "Issue a passport"}
    assert hit["ministry"] == {"code": "rop",
                               "name": {"ar": "شرطة عمان السلطانية", "en": "Royal Oman Police"}}
    assert hit["score"] > 0
    # السفر is marked too: with جواز it is how the lexicon says "passport", which the query means.
    assert hit["highlight"] == "<mark>إصدار</mark> <mark>جواز</mark> <mark>السفر</mark>"
    assert {"kind": "concept", "value": "passport", "label": "جواز السفر"} in hit["why"]
    english = (await search(client, "passports", lang="en"))["hits"][0]
    assert english["highlight"] == "Issue a <mark>passport</mark>"


async def test_an_update_changes_what_is_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    await publish(app, ServicePublished(service=create_service_record(slug="travel",
                                                                      title_en="Passport renewal")))
    await wait_until_found(client, "passport", "travel")

    await publish(app, ServiceUpdated(service=create_service_record(
        slug="travel", title_en="Travel permit renewal", description_en="For citizens abroad", version=2)))

    await wait_until_found(client, "abroad", "travel")
    assert await found(client, "passport") == []


async def test_a_retired_service_disappears_and_a_late_publish_does_not_bring_it_back(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    record = create_service_record(slug="old-permit", title_en="Fishing permit")
    await publish(app, ServicePublished(service=record))
    await wait_until_found(client, "fishing", "old-permit")

    await publish(app, ServiceRetired(slug="old-permit", ministry="rop", version=2))

    async def gone() -> bool:
        return await found(client, "fishing") == []

    await eventually(gone)
    await publish(app, ServicePublished(service=record))
    await wait_until_consumed(app, client)
    assert await found(client, "fishing") == []


async def test_the_same_event_delivered_twice_is_applied_once(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    envelope = envelope_for(ServicePublished(service=create_service_record(slug="birth", title_en="Birth")))

    with capture_logs() as logs:
        await deliver(app, envelope, "catalog.service.published")
        await deliver(app, envelope, "catalog.service.published")
        await wait_until_consumed(app, client)

    about_it = [entry["event"] for entry in logs if entry.get("service") == "birth"]
    assert about_it == ["service_indexed", "duplicate_event_ignored"]
    assert await inbox_rows(app, envelope.id) == 1
    assert await found(client, "birth") == ["birth"]


async def test_a_stale_older_version_does_not_overwrite_a_newer_one(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    newer = create_service_record(slug="residence", title_en="Residence card", version=3)
    older = create_service_record(slug="residence", title_en="Expatriate identity", version=2)

    with capture_logs() as logs:
        await publish(app, ServiceUpdated(service=newer))
        stale = await publish(app, ServiceUpdated(service=older))
        await wait_until_consumed(app, client)

    assert await found(client, "residence") == ["residence"]
    assert await found(client, "expatriate") == []
    assert [e["event"] for e in logs if e.get("service") == "residence"] == ["service_indexed",
                                                                           "stale_event_ignored"]
    assert await inbox_rows(app, stale.id) == 1


async def test_facets_count_the_matching_services_per_ministry(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    services = (("licence-a", "rop", ("driving",)), ("licence-b", "rop", ("vehicle",)),
                ("licence-c", "moh", ("health",)))
    for slug, ministry, life_events in services:
        await publish(app, ServicePublished(service=create_service_record(
            slug=slug, title_en="Practice licence", ministry=ministry, life_events=life_events)))

    async def all_three() -> dict[str, object] | None:
        body = await search(client, "licence", lang="en")
        return body if body["total"] == 3 else None

    body = await eventually(all_three)
    assert body["facets"] == {"ministry": {"moh": 1, "rop": 2},
                              "life_event": {"driving": 1, "health": 1, "vehicle": 1},
                              "maturity": {"electronic": 3}}
    assert body["page"] == 1
    assert body["suggestion"] is None
    only_rop = await search(client, "licence", ministry="rop")
    assert (only_rop["total"], only_rop["facets"]["ministry"]) == (2, {"rop": 2})
    browse = await search(client, "", ministry="moh")
    assert [hit["slug"] for hit in browse["hits"]] == ["licence-c"]


async def test_a_malformed_event_is_dead_lettered_and_the_next_good_one_is_still_indexed(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    bad = Envelope(type=ServicePublished.TYPE, source="/catalog", data={"service": {"slug": "broken"}})
    await deliver(app, bad, "catalog.service.published")

    dead: list[RawDelivery] = []

    async def dead_lettered() -> list[RawDelivery]:
        dead.extend(await app.state.runtime.bus.drain("portal.dead-letters"))
        return dead

    [letter] = await eventually(dead_lettered)
    assert letter.headers[REASON_HEADER].startswith(f"bad payload for {ServicePublished.TYPE}")
    assert letter.headers[ORIGIN_QUEUE_HEADER] == "search.catalog-events"
    assert json.loads(letter.body)["id"] == bad.id

    await publish(app, ServicePublished(service=create_service_record(slug="after-the-bad-one",
                                                                      title_en="Marriage contract")))
    await wait_until_found(client, "marriage", "after-the-bad-one")


async def test_a_blank_query_without_filters_is_refused_with_a_problem(client: httpx.AsyncClient) -> None:
    for params in ({}, {"q": "   "}):
        response = await client.get("/api/v1/search", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "query-required"


async def test_a_query_longer_than_200_characters_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/search", params={"q": "ا" * 200})).status_code == 200
    response = await client.get("/api/v1/search", params={"q": "ا" * 201})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_suggestions_complete_what_the_citizen_is_typing(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    await publish(app, ServicePublished(service=create_service_record(slug="renew-licence")))
    await publish(app, ServicePublished(service=create_service_record(
        slug="replace-card", title_ar="بدل فاقد البطاقة الشخصية", title_en="Replace a lost ID card")))
    await wait_until_found(client, "بطاقه", "replace-card")

    response = await client.get("/api/v1/search/suggest", params={"q": "تجديد رخ"})
    assert response.json() == {"suggestions": [
        {"slug": "renew-licence", "title": {"ar": "تجديد رخصة القيادة", "en": "Renew a driving licence"}}]}
    english = await client.get("/api/v1/search/suggest", params={"q": "re"})
    assert [s["slug"] for s in english.json()["suggestions"]] == ["renew-licence", "replace-card"]
    assert (await client.get("/api/v1/search/suggest", params={"q": ""})).status_code == 422


async def test_the_service_reports_ready_when_its_database_and_bus_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "bus": "ok", "search_engine": "ok"}
