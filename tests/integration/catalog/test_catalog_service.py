"""The catalogue service on SQLite and PostgreSQL, with the in-memory bus standing in for RabbitMQ."""

import pytest

from shared.auth import Identity
from tests.factories import create_admin, create_citizen, create_ministry_identity
from tests.integration.catalog.conftest import Harness, create_service_draft

pytestmark = pytest.mark.integration


async def test_a_published_service_is_announced_with_its_full_record(harness: Harness) -> None:
    response = await harness.client.post("/api/v1/ministry/services", json=create_service_draft(),
                                         headers=harness.as_(create_ministry_identity("rop")))
    assert response.status_code == 201
    [event] = await harness.events(1)
    assert event.type == "om.portal.catalog.service.published.v1"
    assert event.data["service"]["slug"] == "renew-licence"
    assert event.data["service"]["ministry_name"]["en"] == "Royal Oman Police"
    assert event.data["service"]["form"][0]["name"] == "licence"


async def test_anyone_reads_the_catalogue_without_signing_in(harness: Harness) -> None:
    await harness.client.post("/api/v1/ministry/services", json=create_service_draft(),
                              headers=harness.as_(create_ministry_identity("rop")))
    listed = await harness.client.get("/api/v1/services", params={"life_event": "driving"})
    assert [s["slug"] for s in listed.json()["items"]] == ["renew-licence"]
    assert (await harness.client.get("/api/v1/services", params={"maturity": "manual"})).json()["total"] == 0
    one = await harness.client.get("/api/v1/services/renew-licence")
    assert one.json()["title"]["ar"] == "تجديد رخصة القيادة"


async def test_a_ministry_cannot_change_another_ministrys_service(harness: Harness) -> None:
    await harness.client.post("/api/v1/ministry/services", json=create_service_draft(),
                              headers=harness.as_(create_ministry_identity("rop")))
    response = await harness.client.put("/api/v1/ministry/services/renew-licence", json=create_service_draft(),
                                        headers=harness.as_(create_ministry_identity("moh")))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_update_and_a_retirement_are_versioned_events(harness: Harness) -> None:
    rop = harness.as_(create_ministry_identity("rop"))
    await harness.client.post("/api/v1/ministry/services", json=create_service_draft(), headers=rop)
    updated = await harness.client.put("/api/v1/ministry/services/renew-licence", headers=rop,
                                       json=create_service_draft(target_days=1))
    assert updated.json()["version"] == 2
    retired = await harness.client.post("/api/v1/ministry/services/renew-licence/retire", headers=rop)
    assert retired.status_code == 200
    events = await harness.events(3)
    assert [e.type.split(".")[-2] for e in events] == ["published", "updated", "retired"]
    assert events[2].data == {"slug": "renew-licence", "ministry": "rop", "version": 3}
    assert (await harness.client.get("/api/v1/services/renew-licence")).status_code == 404


async def test_an_incomplete_description_is_refused_field_by_field(harness: Harness) -> None:
    draft = create_service_draft(slug="Bad Slug", title={"ar": "", "en": "Only English"}, target_days=0)
    response = await harness.client.post("/api/v1/ministry/services", json=draft,
                                         headers=harness.as_(create_ministry_identity("rop")))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"slug", "title", "target_days"}


async def test_citizens_cannot_publish_and_nobody_can_onboard_without_the_admin_role(harness: Harness) -> None:
    citizen = await harness.client.post("/api/v1/ministry/services", json=create_service_draft(),
                                        headers=harness.as_(create_citizen()))
    assert citizen.status_code == 403
    ministry = await harness.client.post("/api/v1/admin/ministries",
                                         headers=harness.as_(create_ministry_identity("rop")),
                                         json={"code": "new", "name": {"ar": "جديد", "en": "New"}})
    assert ministry.status_code == 403


async def test_an_onboarded_ministrys_api_key_identifies_it_and_only_it(harness: Harness) -> None:
    created = await harness.client.post("/api/v1/admin/ministries", headers=harness.as_(create_admin()),
                                        json={"code": "mohup", "name": {"ar": "الإسكان", "en": "Housing"}})
    key = created.json()["api_key"]
    system = harness.as_(Identity("gateway", "system"))
    known = await harness.client.post("/internal/v1/api-keys/verify", json={"api_key": key}, headers=system)
    assert known.json() == {"ministry": "mohup"}
    unknown = await harness.client.post("/internal/v1/api-keys/verify", json={"api_key": key + "x"},
                                        headers=system)
    assert unknown.status_code == 404
    again = await harness.client.post("/api/v1/admin/ministries",
                                      headers=harness.as_(create_admin()),
                                      json={"code": "mohup", "name": {"ar": "الإسكان", "en": "Housing"}})
    assert again.status_code == 409


async def test_a_ministry_name_longer_than_the_catalogue_keeps_is_refused_and_nobody_is_onboarded(
        harness: Harness) -> None:
    admin = harness.as_(create_admin())
    refused = await harness.client.post("/api/v1/admin/ministries", headers=admin,
                                        json={"code": "mohup", "name": {"ar": "الإسكان", "en": "H" * 201}})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in refused.json()["errors"]] == ["name.en"]
    longest = await harness.client.post("/api/v1/admin/ministries", headers=admin,
                                        json={"code": "mohup", "name": {"ar": "الإسكان", "en": "H" * 200}})
    assert longest.status_code == 201


@pytest.mark.parametrize(("changes", "field"), [
    ({"channels": [{"kind": "online", "url": "javascript:alert(document.cookie)"}]}, "channels.0.url"),
    ({"channels": [{"kind": "online", "url": "data:text/html,<script>alert(1)</script>"}]}, "channels.0.url"),
    ({"steps": [{"title": {"ar": "خطوة", "en": "Step"}, "link": "JavaScript:alert(1)"}]}, "steps.0.link"),
    ({"legal_basis": [{"title": {"ar": "قانون", "en": "Law"}, "url": "http://evil.example/law"}]},
     "legal_basis.0.url"),
    ({"legal_basis": [{"title": {"ar": "قانون", "en": "Law"}, "url": "https:///no-host"}]}, "legal_basis.0.url"),
])
async def test_only_https_links_are_published(harness: Harness, changes: dict[str, object], field: str) -> None:
    response = await harness.client.post("/api/v1/ministry/services", json=create_service_draft(**changes),
                                         headers=harness.as_(create_ministry_identity("rop")))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": {"ar": "ع" * 900_000, "en": "Renew"}}, "title.ar"),
    ({"description": {"ar": "وصف", "en": "d" * 100_000}}, "description.en"),
    ({"keywords": ["k" * 10_000]}, "keywords.0"),
    ({"form": [{"name": "n" * 5_000, "kind": "text", "label": {"ar": "ا", "en": "a"}}]}, "form.0.name"),
    ({"form": [{"name": "pick", "kind": "choice", "label": {"ar": "ا", "en": "a"}, "choices": ["c" * 5_000]}]},
     "form.0.choices.0"),
    ({"legal_basis": [{"title": {"ar": "قانون", "en": "Law"}, "reference": "r" * 10_000}]},
     "legal_basis.0.reference"),
])
async def test_every_catalogue_text_has_a_length_limit(harness: Harness, changes: dict[str, object],
                                                        field: str) -> None:
    response = await harness.client.post("/api/v1/ministry/services", json=create_service_draft(**changes),
                                         headers=harness.as_(create_ministry_identity("rop")))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_an_https_link_is_published_as_given(harness: Harness) -> None:
    link = "https://www.rop.gov.om/english/services/licence?x=1"
    response = await harness.client.post("/api/v1/ministry/services", json=create_service_draft(
        channels=[{"kind": "online", "url": link}]), headers=harness.as_(create_ministry_identity("rop")))
    assert response.status_code == 201, response.text
    assert response.json()["record"]["channels"][0]["url"] == link
