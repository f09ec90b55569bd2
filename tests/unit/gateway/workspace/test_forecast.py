"""The workload view's demand forecast: a chart and the same figures in a table, both languages, a CSV; a ministry
sees its own services, portal staff any ministry's and a CSV of all."""

from typing import Any

from services.gateway.workspace.charts import forecast_chart
from tests.unit.gateway.workspace.conftest import Workspace


def create_forecast(service: str = "issue-disability-card", ministry: str = "mosd") -> dict[str, Any]:
    weeks = [{"week": f"2026-12-{6 + 7 * i:02d}" if i < 4 else f"2027-01-{3 + 7 * (i - 4):02d}",
              "expected": 40.0 + i, "lower": 30.0 + i, "upper": 52.4 + i} for i in range(8)]
    return {"service": service, "ministry": ministry, "trained_at": "2026-12-06T02:00:00+00:00", "weeks": weeks}


async def test_a_ministry_sees_its_forecast_as_a_chart_and_the_same_figures_in_a_table(workspace: Workspace) -> None:
    workspace.fakes.forecasts = [create_forecast(), create_forecast("renew-driving-licence", "rop")]
    await workspace.sign_in("manager")
    english = (await workspace.client.get("/workspace/workload", params={"lang": "en"})).text
    arabic = (await workspace.client.get("/workspace/workload", params={"lang": "ar"})).text

    assert "Expected requests, next eight weeks" in english and "الطلب المتوقع للأسابيع الثمانية القادمة" in arabic
    assert 'id="forecast-issue-disability-card"' in english and "renew-driving-licence" not in english
    assert '<svg role="img" aria-labelledby="forecast-issue-disability-card-title"' in english
    assert english.count("<polyline") == 1 and english.count("<tr><th scope=\"row\"><time") == 8
    assert '<time datetime="2026-12-06" dir="ltr">2026-12-06</time></th><td>40</td><td>30</td><td>52</td>' in english
    assert "الحد الأعلى" in arabic
    sheet = await workspace.client.get("/workspace/forecast.csv")
    assert sheet.status_code == 200 and sheet.text.count("issue-disability-card") == 8
    assert 'filename="forecast-mosd.csv"' in sheet.headers["content-disposition"]


async def test_portal_staff_read_one_ministrys_forecast_on_its_page_and_every_ministrys_as_csv(
        workspace: Workspace) -> None:
    workspace.fakes.forecasts = [create_forecast(), create_forecast("renew-driving-licence", "rop")]
    await workspace.sign_in("admin")
    page = (await workspace.client.get("/workspace/workload", params={"ministry": "rop", "lang": "en"})).text
    everything = await workspace.client.get("/workspace/forecast.csv")

    assert 'id="forecast-renew-driving-licence"' in page and "forecast-issue-disability-card" not in page
    assert "Every ministry&#39;s forecast (CSV)" in page or "Every ministry's forecast (CSV)" in page
    assert "issue-disability-card" in everything.text and "renew-driving-licence" in everything.text
    assert 'filename="forecast-all.csv"' in everything.headers["content-disposition"]


def test_the_chart_draws_the_expected_line_inside_its_band_scaled_to_the_highest_bound() -> None:
    chart = forecast_chart(create_forecast()["weeks"])

    assert chart is not None
    line = [tuple(map(float, p.split(","))) for p in chart.line.split()]
    band = [tuple(map(float, p.split(","))) for p in chart.band.split()]
    assert len(line) == 8 and len(band) == 16
    for i, (x, y) in enumerate(line):
        upper, lower = band[i], band[15 - i]
        assert upper[0] == x == lower[0] and upper[1] <= y <= lower[1], "SVG's y grows downwards"
    assert min(y for _, y in band) == 10.0, "the highest bound touches the top"
    assert [label for _, label in chart.grid] == ["0", "30", "59"]
    assert forecast_chart([]) is None
