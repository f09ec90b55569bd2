"""Digitising a manual service, readiness costs on the bus, and each ministry's onboarding progress."""

from datetime import date

import pytest

from services.catalog.handlers import Deps
from shared.auth import Identity
from tests.factories import create_admin, create_ministry_identity
from tests.integration.catalog.conftest import Harness, create_service_draft
from tests.integration.catalog.test_catalog_lifecycle import READY

pytestmark = pytest.mark.integration


def on_day(harness: Harness, day: date) -> None:
    deps: Deps = harness.app.state.deps
    object.__setattr__(deps, "today", lambda: day)


async def test_bringing_a_manual_service_online_records_the_day_once_and_announces_it(harness: Harness) -> None:
    rop = harness.as_(create_ministry_identity("rop"))
    manual = create_service_draft(slug="lost-item-report", maturity="manual")
    assert (await harness.client.post("/api/v1/ministry/services", headers=rop, json=manual)).status_code == 201
    on_day(harness, date(2026, 11, 3))
    online = await harness.client.put("/api/v1/ministry/services/lost-item-report", headers=rop,
                                      json=manual | {"maturity": "semi_electronic"})
    assert online.json()["record"]["digitised_on"] == "2026-11-03"
    on_day(harness, date(2026, 12, 1))
    fully = await harness.client.put("/api/v1/ministry/services/lost-item-report", headers=rop,
                                     json=manual | {"maturity": "electronic"})
    assert fully.json()["record"]["digitised_on"] == "2026-11-03"
    public = await harness.client.get("/api/v1/services/lost-item-report")
    assert (public.json()["maturity"], public.json()["digitised_on"]) == ("electronic", "2026-11-03")
    events = await harness.events(3)
    assert [e.data["service"]["digitised_on"] for e in events] == [None, "2026-11-03", "2026-11-03"]


async def test_a_service_born_online_was_never_digitised_and_a_draft_counts_when_published(
        harness: Harness) -> None:
    rop = harness.as_(create_ministry_identity("rop"))
    await harness.client.post("/api/v1/ministry/services", headers=rop, json=create_service_draft())
    assert (await harness.client.get("/api/v1/services/renew-licence")).json()["digitised_on"] is None
    manual = create_service_draft(slug="paper-permit", maturity="manual")
    await harness.client.post("/api/v1/ministry/services", headers=rop, json=manual)
    on_day(harness, date(2026, 10, 1))
    await harness.client.put("/api/v1/ministry/services/paper-permit", headers=rop, params={"publish": "false"},
                             json=manual | {"maturity": "electronic"})
    assert (await harness.client.get("/api/v1/services/paper-permit")).json()["maturity"] == "manual"
    on_day(harness, date(2026, 10, 8))
    published = await harness.client.post("/api/v1/ministry/services/paper-permit/publish", headers=rop)
    assert published.json()["record"]["digitised_on"] == "2026-10-08"


async def test_a_readiness_assessment_puts_the_costs_per_transaction_on_the_bus(harness: Harness) -> None:
    rop = harness.as_(create_ministry_identity("rop"))
    await harness.client.post("/api/v1/ministry/services", headers=rop,
                              json=create_service_draft(slug="manual-permit", maturity="manual"))
    assert (await harness.client.put("/api/v1/ministry/services/manual-permit/readiness", json=READY,
                                     headers=rop)).status_code == 200
    _, assessed = await harness.events(2, queue="requests.catalog-events")
    assert assessed.type == "om.portal.catalog.readiness.assessed.v1"
    assert assessed.data | {"assessed_at": None} == {
        "slug": "manual-permit", "ministry": "rop", "maturity": "manual", "volume_per_year": 250_000,
        "manual_cost_omr": "6.000", "digital_cost_omr": "0.750", "assessed_at": None}


async def test_staff_follow_each_ministrys_onboarding_and_only_staff_may(harness: Harness) -> None:
    admin = harness.as_(create_admin())
    created = await harness.client.post("/api/v1/admin/ministries", headers=admin, json={
        "code": "mosd", "name": {"ar": "وزارة التنمية الاجتماعية", "en": "Ministry of Social Development"},
        "workspace": True})
    assert created.json()["workspace"] is True
    mosd = harness.as_(Identity(subject="90000102", role="service_manager", ministry="mosd", name="Aisha"))
    for slug, maturity in (("social-aid", "manual"), ("disability-card", "electronic"), ("old-form", "manual")):
        await harness.client.post("/api/v1/ministry/services", headers=mosd,
                                  json=create_service_draft(slug=slug, maturity=maturity))
    await harness.client.put("/api/v1/ministry/services/social-aid", headers=mosd,
                             json=create_service_draft(slug="social-aid", maturity="semi_electronic"))
    await harness.client.put("/api/v1/ministry/services/social-aid/readiness", headers=mosd, json=READY)
    await harness.client.post("/api/v1/ministry/services/old-form/retire", headers=mosd)
    progress = await harness.client.get("/api/v1/admin/onboarding", headers=admin)
    rows = {m["ministry"]: m for m in progress.json()["ministries"]}
    assert rows["mosd"] == {
        "ministry": "mosd", "name": {"ar": "وزارة التنمية الاجتماعية", "en": "Ministry of Social Development"},
        "workspace": True, "services": 2, "assessed": 1, "published": 2, "digitised": 1, "electronic": 1,
        "semi_electronic": 1, "manual": 0}
    assert rows["rop"]["workspace"] is False and rows["rop"]["services"] == 0
    assert (await harness.client.get("/api/v1/admin/onboarding", headers=mosd)).status_code == 403
