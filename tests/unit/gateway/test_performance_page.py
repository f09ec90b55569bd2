"""The public performance page: KPIs for anyone, filtered, drawn as charts with their data tables, explained."""

import re
from typing import Any

from tests.unit.gateway.conftest import Portal


def create_kpis(started: int = 120, completion_rate: float | None = 0.9, csat: float | None = 0.8,
                digital_take_up: float | None = 0.75, median: float | None = 2.5) -> dict[str, Any]:
    return {"started": started, "completed": 100, "cancelled": 11, "completion_rate": completion_rate,
            "median_processing_days": median, "p90_processing_days": 6.0, "sla_met_rate": 0.85,
            "satisfaction": {"responses": 40, "csat": csat, "mean_score": 4.25}, "online_completed": 100,
            "other_channel_completed": 33, "digital_take_up": digital_take_up,
            "cost_per_transaction_omr": "1.250", "estimated_saving_omr": "350.000"}


def create_performance() -> dict[str, Any]:
    return {"period": {"from": "2025-11-23", "to": "2026-11-23"}, "generated_at": "2026-11-23T12:00:00Z",
            "totals": create_kpis(),
            "ministries": [{"ministry": "rop"} | create_kpis()],
            "services": [{"service": "renew-driving-licence", "ministry": "rop", "maturity": "electronic",
                          "digitised_on": None} | create_kpis(),
                         {"service": "renew-passport", "ministry": "rop", "maturity": "electronic",
                          "digitised_on": "2026-01-01"} | create_kpis(completion_rate=None, csat=0.5, median=5.0)]}


async def test_anyone_sees_the_kpis_without_signing_in_in_arabic_first(portal: Portal) -> None:
    portal.fakes.performance = create_performance()
    page = await portal.client.get("/performance")

    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text and "<h1>أداء الخدمات</h1>" in page.text
    assert "90.0%" in page.text and "1.250" in page.text and "350.000" in page.text
    assert "تجديد رخصة القيادة" in page.text  # the catalogue's title, not the slug
    assert portal.fakes.performance_queries == [{}]
    assert not any(call[0] == "requests" and "/me/" in call[2] for call in portal.fakes.calls)


async def test_the_period_is_in_words_and_amounts_have_three_decimals_in_both_languages(portal: Portal) -> None:
    portal.fakes.performance = create_performance() | {"generated_at": "2026-11-17T23:30:00Z",
                                                       "totals": create_kpis() | {"estimated_saving_omr": "12500.5"}}
    english = (await portal.client.get("/performance", params={"lang": "en"})).text
    arabic = (await portal.client.get("/performance", params={"lang": "ar"})).text

    assert ">23 November 2025</time> — <time" in english and ">23 November 2026</time>" in english
    assert ">18 November 2026, 3:30\u202fAM</time>" in english  # generated at 23:30 UTC, already the 18th in Muscat
    assert ">23 نوفمبر 2025</time>" in arabic and ">18 نوفمبر 2026، 3:30 ص</time>" in arabic
    # The KPI's name says the currency (OMR): the figure is the amount alone.
    assert "<dd>12,500.500</dd>" in english and "<dd>12,500.500</dd>" in arabic


async def test_each_chart_has_a_caption_a_text_alternative_and_its_data_table(portal: Portal) -> None:
    portal.fakes.performance = create_performance()
    page = (await portal.client.get("/performance", params={"lang": "en"})).text

    for kpi in ("completion_rate", "csat", "digital_take_up", "median_processing_days"):
        assert f'aria-labelledby="chart-{kpi}-caption" aria-describedby="chart-{kpi}-alt"' in page
        table = re.search(rf'<table class="data-table" id="table-{kpi}">.*?</table>', page, re.S)
        assert table is not None
        assert "<caption>" in table.group(0) and '<th scope="col">' in table.group(0)
        assert table.group(0).count('<th scope="row">') == 2
    assert 'aria-hidden="true" focusable="false"' in page
    assert "Horizontal bar chart; the same values are in the table that follows." in page
    completion = re.search(r'id="table-completion_rate">.*?</table>', page, re.S)
    assert completion is not None and "No data" in completion.group(0)  # a null rate is not drawn as 0 %
    # Days are scaled to the longest: 5.0 days fills the bar, 2.5 fills half.
    assert 'width="50.0" height="10"' in page and 'width="100.0" height="10"' in page


async def test_bars_grow_from_the_right_in_arabic(portal: Portal) -> None:
    portal.fakes.performance = create_performance()
    arabic = (await portal.client.get("/performance", params={"lang": "ar"})).text
    english = (await portal.client.get("/performance", params={"lang": "en"})).text

    assert '<rect class="bar-fill" x="10.0" y="0" width="90.0"' in arabic
    assert '<rect class="bar-fill" x="0" y="0" width="90.0"' in english


async def test_filters_are_passed_on_and_a_bad_period_is_explained(portal: Portal) -> None:
    portal.fakes.performance = create_performance()
    filtered = await portal.client.get("/performance", params={"ministry": "rop", "service": "renew-passport",
                                                               "from": "2026-01-01", "to": "2026-06-30",
                                                               "lang": "en"})
    backwards = await portal.client.get("/performance", params={"from": "2026-06-30", "to": "2026-01-01",
                                                                "lang": "en"})
    nonsense = await portal.client.get("/performance", params={"from": "yesterday", "lang": "en"})

    assert filtered.status_code == 200
    assert portal.fakes.performance_queries == [{"ministry": "rop", "service": "renew-passport",
                                                 "from": "2026-01-01", "to": "2026-06-30"}]
    assert '<option value="renew-passport" selected>' in filtered.text
    assert 'value="2026-01-01"' in filtered.text
    assert backwards.status_code == 422 and "The start date must be before the end date" in backwards.text
    assert nonsense.status_code == 422 and 'id="error-summary"' in nonsense.text
    assert len(portal.fakes.performance_queries) == 1


async def test_the_page_explains_the_kpis_links_the_open_data_and_survives_an_outage(portal: Portal) -> None:
    portal.fakes.failing.add("requests")
    page = await portal.client.get("/performance", params={"lang": "en"})

    assert page.status_code == 200
    assert "This service is not answering right now" in page.text
    assert "What these figures mean" in page.text and "the share that were 4 or 5 out of 5" in page.text
    assert 'href="/open-data/kpis.csv"' in page.text and 'href="/open-data/kpis.json"' in page.text


async def test_every_page_links_to_the_performance_page(portal: Portal) -> None:
    for path in ("/", "/track", "/sign-in"):
        page = (await portal.client.get(path)).text
        assert page.count('href="/performance"') >= 2  # menu and footer
