"""A number of days, results or answers reads as Arabic says it: six plural forms (CLDR), not one word for all."""

import pytest

from tests.unit.gateway.conftest import Portal


@pytest.mark.parametrize(("days", "arabic", "english"), [
    (1, "يوم عمل واحد", "1 working day"), (2, "يوما عمل", "2 working days"), (3, "3 أيام عمل", "3 working days"),
    (11, "11 يوم عمل", "11 working days"), (100, "100 يوم عمل", "100 working days")])
async def test_how_long_a_service_takes_is_said_in_the_form_its_number_of_working_days_takes(
        portal: Portal, days: int, arabic: str, english: str) -> None:
    portal.fakes.services["renew-driving-licence"]["target_days"] = days

    in_arabic = (await portal.client.get("/services/renew-driving-licence", params={"lang": "ar"})).text
    in_english = (await portal.client.get("/services/renew-driving-licence", params={"lang": "en"})).text

    assert f"<p>{arabic}</p>" in in_arabic
    assert f"<p>{english}</p>" in in_english
