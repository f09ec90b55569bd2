"""Query understanding through the search service: services a ministry publishes after start-up, which the
seed does not hold, are found by what citizens mean, in either language; every hit says why; staff see how
queries were rewritten; and no query, however odd, is answered with a 500."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.contracts.catalog import ServicePublished
from tests.integration.search.helpers import (
    Staff,
    create_service_record,
    eventually,
    publish,
    search,
    wait_until_consumed,
)

QUERIES = "/api/v1/admin/search/queries"

# Neither service is in portal/seed: a fisheries card and a seafarer's certificate, written as a ministry
# would, with none of the words the queries below use for them.
FISHING_CARD = create_service_record(
    slug="replace-fishing-card", ministry="maf", title_ar="إصدار بدل فاقد لبطاقة الصيد الحرفي",
    title_en="Issue a replacement artisanal fishing card",
    description_ar="يصدر بدل فاقد أو تالف لبطاقة الصياد الحرفي بعد التحقق من بيانات الصياد.",
    description_en="A replacement artisanal fisher's card is issued after the fisher's details are checked.",
    life_events=())
FISHING_LICENCE = create_service_record(
    slug="renew-fishing-licence", ministry="maf", title_ar="تجديد ترخيص قارب الصيد",
    title_en="Renew a fishing boat licence",
    description_ar="تجديد ترخيص قارب الصيد الحرفي قبل انتهاء صلاحيته.",
    description_en="Renew an artisanal fishing boat licence before it expires.", life_events=())
BEREAVEMENT_GRANT = create_service_record(
    slug="funeral-expenses-grant", ministry="spf", title_ar="منحة مصاريف الجنازة",
    title_en="Funeral expenses grant",
    description_ar="منحة مالية تصرف لأسرة المتوفى للمساعدة في مصاريف الدفن والعزاء.",
    description_en="A one-off payment to the family of the deceased towards burial costs.", life_events=())


async def publish_new_services(app: FastAPI, client: httpx.AsyncClient) -> None:
    for record in (FISHING_CARD, FISHING_LICENCE, BEREAVEMENT_GRANT):
        await publish(app, ServicePublished(service=record))
    await wait_until_consumed(app, client)


async def top(client: httpx.AsyncClient, q: str, lang: str = "ar") -> tuple[list[str], list[dict[str, Any]]]:
    hits = (await search(client, q, lang=lang))["hits"]
    return [hit["slug"] for hit in hits[:3]], hits


@pytest.mark.parametrize(("q", "lang", "expected"), [
    ("I lost my fishing card", "en", "replace-fishing-card"),
    ("ضاعت بطاقة الصيد حقتي", "ar", "replace-fishing-card"),
    ("bitaqa sayd mafqooda", "en", "replace-fishing-card"),
    ("my fishing boat licence expired", "en", "renew-fishing-licence"),
    ("ابغى اجدد رخصة القارب", "ar", "renew-fishing-licence"),
    ("my father passed away, help with costs", "en", "funeral-expenses-grant"),
    ("ابوي توفى", "ar", "funeral-expenses-grant"),
])
async def test_a_service_published_after_start_up_is_found_by_what_citizens_mean(
        app: FastAPI, client: httpx.AsyncClient, q: str, lang: str, expected: str) -> None:
    await publish_new_services(app, client)

    slugs, _ = await top(client, q, lang)

    assert slugs[:1] == [expected]


async def test_an_english_query_reaches_an_arabic_only_service_and_the_reverse(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    arabic_only = create_service_record(
        slug="widow-allowance", ministry="spf", title_ar="منفعة الأرامل", title_en="منفعة الأرامل",
        description_ar="منفعة شهرية للأرملة بعد وفاة الزوج.", description_en="منفعة شهرية للأرملة بعد وفاة الزوج.",
        life_events=())
    english_only = create_service_record(
        slug="accident-report-copy", ministry="rop", title_ar="Copy of a road accident report",
        title_en="Copy of a road accident report", description_ar="A certified copy of a traffic accident report.",
        description_en="A certified copy of a traffic accident report.", life_events=())
    for record in (arabic_only, english_only):
        await publish(app, ServicePublished(service=record))
    await wait_until_consumed(app, client)

    assert (await top(client, "widow benefit", "en"))[0][:1] == ["widow-allowance"]
    assert (await top(client, "تقرير حادث مروري"))[0][:1] == ["accident-report-copy"]


async def test_each_hit_says_why_it_matched_and_keeps_the_highlight(app: FastAPI, client: httpx.AsyncClient) -> None:
    await publish_new_services(app, client)

    _, hits = await top(client, "I lost my fishing card", "en")

    [card] = [hit for hit in hits if hit["slug"] == "replace-fishing-card"]
    assert set(card) >= {"slug", "title", "ministry", "score", "highlight", "why"}
    assert {"kind": "intent", "value": "replace", "label": "replace a lost or damaged one"} in card["why"]
    assert {"kind": "words", "value": "fishing", "label": "fishing"} in card["why"]
    assert "<mark>replacement</mark>" in card["highlight"]


async def test_staff_see_which_queries_were_rewritten_and_how(client: httpx.AsyncClient, staff: Staff) -> None:
    for q in ("ودي اجدد الليسن", "bitaqa mafqooda", "passport"):
        await search(client, q)

    async def reported() -> dict[str, Any] | None:
        body: dict[str, Any] = (await staff.get(QUERIES)).json()
        return body if len(body["rewritten"]) == 3 else None

    report = await eventually(reported)
    rewritten = {row["query"]: row["rewritten"] for row in report["rewritten"]}
    assert "اجدد→تجديد" in rewritten["ودي اجدد الليسن"] and "intent: renew" in rewritten["ودي اجدد الليسن"]
    assert "bitaqa→بطاقه" in rewritten["bitaqa mafqooda"]
    # Nothing was rewritten in "passport", but the concept it was read as is shown.
    assert rewritten["passport"] == "concepts: passport"
    assert {row["query"] for row in report["without_results"]} == set(rewritten)


@pytest.mark.parametrize("q", [
    "", " ", "\u064b\u064e\u0650\u0651\u0652", "؟!.,;:()[]{}", "\x00\x01\x1f\x7f", "ـــــــ", "\u200f\u202e\ufeff",
    "ودي bitaqa ROP-2026-000042-8 🙂 3amal", "x" * 200, "٣٣٣٣٣٣٣٣", "%00%ff", "<script>alert(1)</script>",
    "ﻻ ﷲ ﷺ", "a\u0301\u0302\u0303", "😀" * 50,
])
async def test_no_query_however_odd_is_answered_with_a_server_error(app: FastAPI, client: httpx.AsyncClient,
                                                                    q: str) -> None:
    await publish_new_services(app, client)

    response = await client.get("/api/v1/search", params={"q": q})

    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_query_of_ten_thousand_characters_is_refused_with_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/search", params={"q": "ودي " * 2500})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
