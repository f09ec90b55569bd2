"""Drafts, versions, readiness and bad input in the catalogue, on SQLite and PostgreSQL."""

import csv
import io
import json
from typing import Any

import pytest
import rdflib
from sqlalchemy import func, select

from services.catalog.store import outbox, services
from tests.factories import create_admin, create_ministry_identity
from tests.integration.catalog.conftest import Harness, create_service_draft

pytestmark = pytest.mark.integration

READY: dict[str, Any] = {
    "procedure_documented": True, "steps_standardised": True, "legal_basis_allows_digital": True,
    "staff_trained": True, "documents_digital_percent": 80, "evidence_from_registries": True,
    "has_case_system": True, "has_api": False, "e_payment_ready": True, "volume_per_year": 250_000,
    "manual_cost_omr": "6.000", "digital_cost_omr": "0.750",
}


async def rows(harness: Harness, table: Any) -> int:
    async with harness.app.state.runtime.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar() or 0)


@pytest.mark.parametrize(("change", "field"), [
    ({"title": {"ar": "", "en": "Renew"}}, "title"),
    ({"form": [{"name": "x", "kind": "telepathy", "label": {"ar": "س", "en": "x"}}]}, "form.0.kind"),
    ({"fees": [{"channel": "online", "amount_omr": "-1.000"}],
      "channels": [{"kind": "online"}]}, "fees.0.amount_omr"),
    ({"fees": [{"channel": "online", "amount_omr": "1.0005"}],
      "channels": [{"kind": "online"}]}, "fees.0.amount_omr"),
    ({"life_events": ["space-travel"]}, "life_events"),
    ({"audience": []}, "audience"),
])
async def test_bad_descriptions_are_refused_field_by_field_and_nothing_is_written(
        harness: Harness, change: dict[str, Any], field: str) -> None:
    response = await harness.client.post("/api/v1/ministry/services", json=create_service_draft(**change),
                                         headers=harness.as_(create_ministry_identity("rop")))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await rows(harness, services) == 0
    assert await rows(harness, outbox) == 0


async def test_a_fee_for_a_channel_the_service_does_not_offer_is_refused(harness: Harness) -> None:
    draft = create_service_draft(channels=[{"kind": "online"}],
                                 fees=[{"channel": "ministry_office", "amount_omr": "2.000"}])
    response = await harness.client.post("/api/v1/ministry/services", json=draft,
                                         headers=harness.as_(create_ministry_identity("rop")))
    assert response.status_code == 422
    assert "ministry_office" in response.json()["errors"][0]["message"]


async def test_a_service_for_an_unknown_ministry_or_a_taken_slug_is_refused(harness: Harness) -> None:
    unknown = await harness.client.post("/api/v1/ministry/services", params={"ministry": "nope"},
                                        json=create_service_draft(), headers=harness.as_(create_admin()))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "ministry-not-found")
    rop = harness.as_(create_ministry_identity("rop"))
    assert (await harness.client.post("/api/v1/ministry/services", json=create_service_draft(),
                                      headers=rop)).status_code == 201
    taken = await harness.client.post("/api/v1/ministry/services", json=create_service_draft(),
                                      headers=harness.as_(create_ministry_identity("moh")))
    assert (taken.status_code, taken.json()["code"]) == (409, "service-exists")


async def test_a_draft_is_private_until_published_and_a_new_draft_leaves_the_live_version_online(
        harness: Harness) -> None:
    rop = harness.as_(create_ministry_identity("rop"))
    created = await harness.client.post("/api/v1/ministry/services", params={"publish": "false"},
                                        json=create_service_draft(), headers=rop)
    assert created.json()["status"] == "draft"
    assert (await harness.client.get("/api/v1/services/renew-licence")).status_code == 404

    await harness.client.post("/api/v1/ministry/services/renew-licence/publish", headers=rop)
    assert (await harness.client.get("/api/v1/services/renew-licence")).json()["target_days"] == 2

    pending = await harness.client.put("/api/v1/ministry/services/renew-licence", params={"publish": "false"},
                                       json=create_service_draft(target_days=1), headers=rop)
    assert (pending.json()["version"], pending.json()["latest_version"]) == (1, 2)
    assert (await harness.client.get("/api/v1/services/renew-licence")).json()["target_days"] == 2

    await harness.client.post("/api/v1/ministry/services/renew-licence/publish", headers=rop)
    assert (await harness.client.get("/api/v1/services/renew-licence")).json()["target_days"] == 1

    events = await harness.events(2)
    assert [(e.type.split(".")[-2], e.data["service"]["version"]) for e in events] == [
        ("published", 1), ("updated", 2)]
    history = (await harness.client.get("/api/v1/ministry/services/renew-licence", headers=rop)).json()
    assert [(v["version"], v["state"]) for v in history["versions"]] == [(1, "published"), (2, "published")]


async def test_another_ministrys_key_cannot_touch_a_service_in_any_way(harness: Harness) -> None:
    await harness.client.post("/api/v1/ministry/services", json=create_service_draft(),
                              headers=harness.as_(create_ministry_identity("rop")))
    moh = harness.as_(create_ministry_identity("moh"))
    attempts = [
        await harness.client.put("/api/v1/ministry/services/renew-licence", json=create_service_draft(), headers=moh),
        await harness.client.post("/api/v1/ministry/services/renew-licence/publish", headers=moh),
        await harness.client.post("/api/v1/ministry/services/renew-licence/retire", headers=moh),
        await harness.client.put("/api/v1/ministry/services/renew-licence/readiness", json=READY, headers=moh),
        await harness.client.get("/api/v1/ministry/services/renew-licence", headers=moh),
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    mine = await harness.client.get("/api/v1/ministry/services", headers=moh)
    assert mine.json() == []


async def test_citizens_filter_by_audience_and_read_a_service_in_one_language(harness: Harness) -> None:
    rop = harness.as_(create_ministry_identity("rop"))
    await harness.client.post("/api/v1/ministry/services", headers=rop,
                              json=create_service_draft(audience=["citizen", "resident"]))
    await harness.client.post("/api/v1/ministry/services", headers=rop,
                              json=create_service_draft(slug="register-company", audience=["business"],
                                                        life_events=["business"]))
    business = await harness.client.get("/api/v1/services", params={"audience": "business"})
    assert [s["slug"] for s in business.json()["items"]] == ["register-company"]
    english = await harness.client.get("/api/v1/services/renew-licence", params={"lang": "en"})
    assert english.json()["title"] == "Renew a driving licence"
    assert english.json()["ministry_name"] == "Royal Oman Police"
    arabic = await harness.client.get("/api/v1/services/renew-licence", params={"lang": "ar"})
    assert arabic.json()["title"] == "تجديد رخصة القيادة"


async def test_staff_see_services_ranked_by_priority_with_the_reasons(harness: Harness) -> None:
    rop = harness.as_(create_ministry_identity("rop"))
    await harness.client.post("/api/v1/ministry/services", headers=rop,
                              json=create_service_draft(slug="manual-permit", maturity="manual",
                                                        life_events=["housing", "marriage"]))
    await harness.client.post("/api/v1/ministry/services", headers=rop, json=create_service_draft())
    assessed = await harness.client.put("/api/v1/ministry/services/manual-permit/readiness", json=READY,
                                        headers=rop)
    assert assessed.status_code == 200
    assert assessed.json()["score"]["annual_saving_omr"] == "1312500.000"
    await harness.client.put("/api/v1/ministry/services/renew-licence/readiness", headers=rop,
                             json=READY | {"volume_per_year": 1000})
    ranked = await harness.client.get("/api/v1/admin/readiness", headers=harness.as_(create_admin()))
    items = ranked.json()["items"]
    assert [i["slug"] for i in items] == ["manual-permit", "renew-licence"]
    assert items[0]["priority"] > items[1]["priority"]
    assert items[0]["score"]["digital_gap"] == 1.0
    refused = await harness.client.get("/api/v1/admin/readiness", headers=rop)
    assert refused.status_code == 403


async def test_the_published_catalogue_is_open_data_in_cpsv_ap_json_ld_and_csv(harness: Harness) -> None:
    rop = harness.as_(create_ministry_identity("rop"))
    await harness.client.post("/api/v1/ministry/services", headers=rop, json=create_service_draft())
    await harness.client.post("/api/v1/ministry/services", headers=rop, params={"publish": "false"},
                              json=create_service_draft(slug="still-a-draft"))
    jsonld = await harness.client.get("/open-data/catalogue.jsonld")
    assert jsonld.headers["content-type"] == "application/ld+json"
    graph = rdflib.Graph().parse(data=json.dumps(jsonld.json()), format="json-ld")
    cpsv = rdflib.Namespace("http://purl.org/vocab/cpsv#")
    services_found = list(graph.subjects(rdflib.RDF.type, cpsv.PublicService))
    assert [str(s).rsplit("/", 1)[-1] for s in services_found] == ["renew-licence"]

    exported = await harness.client.get("/open-data/catalogue.csv")
    assert exported.content.startswith("\ufeff".encode())
    [row] = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert (row["slug"], row["title_ar"]) == ("renew-licence", "تجديد رخصة القيادة")


async def test_portal_staff_can_correct_any_ministrys_service(harness: Harness) -> None:
    await harness.client.post("/api/v1/ministry/services", json=create_service_draft(),
                              headers=harness.as_(create_ministry_identity("rop")))
    corrected = await harness.client.put("/api/v1/ministry/services/renew-licence", headers=harness.as_(create_admin()),
                                         json=create_service_draft(target_days=4))
    assert corrected.status_code == 200
    assert corrected.json()["record"]["ministry"] == "rop"
    assert (await harness.client.get("/api/v1/services/renew-licence")).json()["target_days"] == 4


async def test_a_title_with_an_unpaired_surrogate_is_refused_and_the_catalogue_stays_readable(
        harness: Harness) -> None:
    response = await harness.client.post(
        "/api/v1/ministry/services", headers=harness.as_(create_ministry_identity("rop")),
        content=json.dumps(create_service_draft(title={"ar": "\ud800", "en": "x"})).encode(),
        )
    assert response.status_code == 422
    assert (await harness.client.get("/api/v1/services")).status_code == 200
    assert await rows(harness, services) == 0


async def test_a_form_limit_past_any_number_is_refused_and_nothing_is_written(harness: Harness) -> None:
    # 1e999 is valid JSON that no double can hold: it reads as infinity, which neither JSON nor PostgreSQL stores.
    field = {"name": "floors", "kind": "number", "label": {"ar": "طوابق", "en": "Floors"}, "minimum": 0}
    body = json.dumps(create_service_draft(form=[field])).replace('"minimum": 0', '"minimum": 1e999')
    response = await harness.client.post("/api/v1/ministry/services", content=body.encode(), headers=harness.as_(
        create_ministry_identity("rop")) | {"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "form.0.minimum" in [e["field"] for e in response.json()["errors"]]
    assert await rows(harness, services) == 0
    assert await rows(harness, outbox) == 0
