"""Learned next-service suggestions over real processes: citizens' completed requests teach the portal what
people go on to need; once staff approve the pattern, a citizen who completes the first service is told, in
their language and with the reason, about the next. A pattern fewer than k citizens followed reaches no one."""

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningPortal
from tests.e2e.test_proactive_services import sign_in
from tests.e2e.test_thin_slice import poll

pytestmark = pytest.mark.e2e

# The portal under test learns from 10 distinct citizens (REQUESTS_INSIGHTS_MIN_CITIZENS in conftest).
K = 10
TITLES = {"first": ("تسجيل قارب صيد", "Register a fishing boat"),
          "usual": ("ترخيص ربان قارب", "Boat skipper licence"),
          "rare": ("تصريح مرسى خاص", "Private mooring permit"),
          "other": ("تصريح تخييم", "Camping permit")}


def publish(client: httpx.Client, ministry: dict[str, str], key: str, slug: str) -> None:
    ar, en = TITLES[key]
    service = {"slug": slug, "title": {"ar": ar, "en": en}, "description": {"ar": ar + ".", "en": en + "."},
               "maturity": "electronic", "target_days": 3, "life_events": [],
               "form": [{"name": "area", "kind": "choice", "label": {"ar": "المنطقة", "en": "Area"},
                         "choices": ["muscat", "dhofar"]}]}
    response = client.post("/api/v1/ministry/services", json=service, headers=ministry)
    assert response.status_code == 201, response.text


def complete_all(client: httpx.Client, asks: list[tuple[dict[str, str], str]]) -> list[str]:
    """Each (citizen, service) asked for, and answered to completion by the simulated ministry."""
    tracking_numbers = []
    for citizen, slug in asks:
        submitted = poll(lambda: client.post("/api/v1/requests", headers=citizen,  # noqa: B023
                                             json={"service": slug, "fields": {"area": "muscat"}}),  # noqa: B023
                         lambda response: response.status_code == 201)
        tracking_numbers.append(submitted.json()["tracking_number"])
    for (citizen, _), tracking_number in zip(asks, tracking_numbers, strict=True):
        poll(lambda: client.get(f"/api/v1/requests/{tracking_number}", headers=citizen).json(),  # noqa: B023
             lambda body: body["status"] == "completed", within=90)
    return tracking_numbers


def test_a_citizen_who_completes_a_request_is_told_in_their_language_what_most_people_needed_next_and_never_what_too_few_did(  # noqa: E501
        portal: RunningPortal) -> None:
    tag = uuid.uuid4().hex[:6]
    slugs = {key: f"{key}-{tag}" for key in TITLES}
    with httpx.Client(base_url=portal.url, timeout=20) as client:
        rop = {"Authorization": f"Bearer {portal.ministry_key('rop')}"}
        for key, slug in slugs.items():
            publish(client, rop, key, slug)

        def citizens(count: int) -> list[dict[str, str]]:
            return [sign_in(client, f"5{uuid.uuid4().int % 10**7:07d}") for _ in range(count)]

        # K citizens went on to the usual next service, K - 1 to the rare one: one short of the threshold, its
        # figures otherwise as strong. Others asked for something else, as most of the portal's citizens do.
        usual, rare, others = citizens(K), citizens(K - 1), citizens(8)
        complete_all(client, [(c, slugs["first"]) for c in usual + rare] + [(c, slugs["other"]) for c in others])
        complete_all(client, [(c, slugs["usual"]) for c in usual] + [(c, slugs["rare"]) for c in rare])

        staff = sign_in(client, "90000001", role="admin")
        retrained = client.post("/api/v1/admin/insights/retrain", headers=staff)
        assert retrained.status_code == 200, retrained.text
        learned = client.get("/api/v1/admin/insights/patterns", headers=staff).json()
        mine = {(p["after"], p["then"]): p for p in learned["items"] if p["after"] == slugs["first"]}
        assert list(mine) == [(slugs["first"], slugs["usual"])]
        pattern = mine[(slugs["first"], slugs["usual"])]
        assert (pattern["state"], pattern["figures"]["citizens"]) == ("proposed", K)
        approved = client.post(f"/api/v1/admin/insights/patterns/{slugs['first']}/{slugs['usual']}/approve",
                               headers=staff)
        assert approved.status_code == 200, approved.text

        citizen = citizens(1)[0]
        before = client.get("/api/v1/me/suggestions", headers=citizen).json()
        assert before["items"] == []
        (tracking_number,) = complete_all(client, [(citizen, slugs["first"])])

        after = client.get("/api/v1/me/suggestions", params={"after": tracking_number}, headers=citizen).json()
        assert [s["service"] for s in after["items"]] == [slugs["usual"]]
        boards: dict[str, Any] = {lang: client.get("/api/v1/me/dashboard", params={"lang": lang},
                                                   headers=citizen).json() for lang in ("ar", "en")}
        for lang, index in (("ar", 0), ("en", 1)):
            suggested = [s for s in boards[lang]["suggested_services"] if s.get("kind") == "learned"]
            assert [s["slug"] for s in suggested] == [slugs["usual"]]
            assert suggested[0]["title"] == TITLES["usual"][index]
            assert TITLES["first"][index] in suggested[0]["reason"]
        assert "ممن أنجزوا" in boards["ar"]["suggested_services"][-1]["reason"]
        assert "of people who completed" in boards["en"]["suggested_services"][-1]["reason"]
        for board in boards.values():
            assert slugs["rare"] not in [s["slug"] for s in board["suggested_services"]]
