"""Open311 GeoReport v2 at /open311/v2/: what a civic app or a 311 tool sees of the catalogue and a citizen's
requests, in JSON and XML alike, with the specification's error list."""

import base64
from typing import Any
from xml.etree import ElementTree

from services.gateway.domain import CLOSED_STATUSES
from services.gateway.open311.rules import DATATYPES, open_or_closed
from shared.contracts.catalog import FieldKind
from shared.contracts.requests import Status
from tests.unit.gateway.conftest import Portal


def xml_items(body: bytes, item: str) -> list[dict[str, Any]]:
    """Each <item> of an XML answer as {element: text}, nested lists as lists of such dicts."""
    def read(element: ElementTree.Element) -> Any:
        children = list(element)
        if element.tag in ("attributes", "values"):
            return [read(child) for child in children]
        if not children:
            return element.text or ""
        return {child.tag: read(child) for child in children}

    root = ElementTree.fromstring(body)
    return [read(element) for element in root.iter(item)]


def as_text(value: Any) -> Any:
    """A JSON value as the XML carries it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return [as_text(item) for item in value]
    if isinstance(value, dict):
        return {key: as_text(item) for key, item in value.items()}
    return str(value)


async def test_a_civic_app_lists_every_service_with_its_ministry_as_group(portal: Portal) -> None:
    response = await portal.client.get("/open311/v2/services.json")

    assert response.status_code == 200
    services = {s["service_code"]: s for s in response.json()}
    assert set(services) == {"renew-driving-licence", "renew-passport"}
    licence = services["renew-driving-licence"]
    assert (licence["service_name"], licence["group"], licence["type"], licence["metadata"]) == (
        "Renew a driving licence", "Royal Oman Police", "realtime", True)
    arabic = (await portal.client.get("/open311/v2/services.json", params={"lang": "ar"})).json()
    assert {s["service_name"] for s in arabic} == {"تجديد رخصة القيادة", "تجديد جواز السفر"}


async def test_the_xml_list_of_services_is_well_formed_and_carries_the_same_fields(portal: Portal) -> None:
    as_json = (await portal.client.get("/open311/v2/services.json")).json()
    as_xml = await portal.client.get("/open311/v2/services.xml")

    assert as_xml.headers["content-type"].startswith("text/xml")
    assert xml_items(as_xml.content, "service") == [as_text(item) for item in as_json]


async def test_a_manual_service_is_a_batch_service(portal: Portal) -> None:
    portal.fakes.services["renew-passport"]["maturity"] = "manual"

    services = {s["service_code"]: s for s in (await portal.client.get("/open311/v2/services.json")).json()}

    assert services["renew-passport"]["type"] == "batch"


async def test_a_definition_has_each_form_field_as_an_attribute_of_the_mapped_datatype(portal: Portal) -> None:
    response = await portal.client.get("/open311/v2/services/renew-driving-licence.json")

    definition = response.json()
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert definition["service_code"] == "renew-driving-licence"
    assert [a["order"] for a in definition["attributes"]] == [1, 2, 3, 4, 5]
    assert {code: a["datatype"] for code, a in attributes.items()} == {
        "licence_number": "string", "delivery": "singlevaluelist", "phone": "string", "copies": "number",
        "insured": "singlevaluelist"}
    assert attributes["delivery"]["values"] == [{"key": "post", "name": "post"},
                                                {"key": "service_centre", "name": "service_centre"}]
    assert [v["key"] for v in attributes["insured"]["values"]] == ["true", "false"]
    assert (attributes["licence_number"]["required"], attributes["copies"]["required"]) == (True, False)
    assert attributes["licence_number"]["description"] == "Licence number"
    assert attributes["copies"]["datatype_description"] == "A number. At least 1, at most 3."
    assert all(a["variable"] for a in definition["attributes"])


async def test_the_xml_definition_carries_the_same_attributes(portal: Portal) -> None:
    as_json = (await portal.client.get("/open311/v2/services/renew-driving-licence.json")).json()
    as_xml = await portal.client.get("/open311/v2/services/renew-driving-licence.xml")

    [definition] = xml_items(as_xml.content, "service_definition")
    assert definition == as_text(as_json)


def test_every_form_kind_has_an_open311_datatype_and_every_status_is_open_or_closed() -> None:
    assert set(DATATYPES) == set(FieldKind.__args__)  # type: ignore[attr-defined]
    assert set(DATATYPES.values()) == {"string", "number", "datetime", "text", "singlevaluelist",
                                       "multivaluelist"}
    closed = {status for status in Status.__args__ if open_or_closed(status) == "closed"}  # type: ignore[attr-defined]
    assert closed == CLOSED_STATUSES == {"completed", "rejected", "cancelled"}


async def test_an_unknown_service_is_answered_with_the_specifications_error_list(portal: Portal) -> None:
    as_json = await portal.client.get("/open311/v2/services/no-such-service.json")
    as_xml = await portal.client.get("/open311/v2/services/no-such-service.xml")

    assert as_json.status_code == 404
    assert as_json.json() == [{"code": 404, "description": "service-not-found: There is no such service_code."}]
    assert as_xml.status_code == 404
    assert xml_items(as_xml.content, "error") == [{"code": "404", "description":
                                                   "service-not-found: There is no such service_code."}]


async def test_a_format_open311_does_not_speak_is_an_error_list_too(portal: Portal) -> None:
    response = await portal.client.get("/open311/v2/services.csv")

    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("invalid-input: ")


def form(**values: str | list[str]) -> dict[str, Any]:
    return {"service_code": "renew-driving-licence", "api_key": "civic-app-1", "email": "someone@example.com",
            "first_name": "Someone", **values}


ANSWERS = {"attribute[licence_number]": "DL-12345", "attribute[delivery]": "post",
           "attribute[phone]": "91234567", "attribute[copies]": "2", "attribute[insured]": "true"}


async def test_a_signed_in_citizen_submits_and_gets_the_tracking_number_as_service_request_id(
        portal: Portal) -> None:
    headers = await portal.sign_in()

    response = await portal.client.post("/open311/v2/requests.json", data=form(**ANSWERS), headers=headers)

    assert response.status_code == 201
    [created] = response.json()
    assert created["service_request_id"] in portal.fakes.requests
    assert portal.fakes.submitted == [{"service": "renew-driving-licence", "fields": {
        "licence_number": "DL-12345", "delivery": "post", "phone": "+96891234567", "copies": 2, "insured": True}}]
    assert portal.fakes.requests[created["service_request_id"]]["owner"] == "12345678", \
        "the citizen signed in, not the posted name or email"


async def test_a_civic_apps_idempotency_key_reaches_the_requests_service(portal: Portal) -> None:
    headers = await portal.sign_in() | {"Idempotency-Key": "civic-app-1-attempt-7"}

    await portal.client.post("/open311/v2/requests.json", data=form(**ANSWERS), headers=headers)

    assert portal.fakes.idempotency_keys == ["civic-app-1-attempt-7"]


async def test_every_wrong_or_missing_attribute_is_listed_at_once(portal: Portal) -> None:
    headers = await portal.sign_in()

    response = await portal.client.post("/open311/v2/requests.json", headers=headers, data=form(**{
        "attribute[delivery]": "drone", "attribute[copies]": "many", "attribute[colour]": "red"}))

    assert response.status_code == 400
    assert {e["description"] for e in response.json()} == {
        "invalid-attributes: attribute[colour] is not an attribute of this service",
        "invalid-attributes: attribute[licence_number] is required",
        "invalid-attributes: attribute[phone] is required",
        "invalid-attributes: attribute[delivery] must be one of the listed keys",
        "invalid-attributes: attribute[copies] must be a number"}
    assert portal.fakes.submitted == []


async def test_submitting_needs_a_signed_in_citizen(portal: Portal) -> None:
    response = await portal.client.post("/open311/v2/requests.xml", data=form(**ANSWERS))

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert xml_items(response.content, "error")[0]["description"].startswith("unauthenticated: ")
    assert portal.fakes.submitted == []


async def submitted(portal: Portal, headers: dict[str, str]) -> str:
    response = await portal.client.post("/open311/v2/requests.json", data=form(**ANSWERS), headers=headers)
    number: str = response.json()[0]["service_request_id"]
    return number


async def test_a_citizen_reads_their_own_request_with_the_portals_estimate_and_never_the_answers(
        portal: Portal) -> None:
    headers = await portal.sign_in()
    number = await submitted(portal, headers)

    response = await portal.client.get(f"/open311/v2/requests/{number}.json", headers=headers)

    [request] = response.json()
    assert request["service_request_id"] == number
    assert (request["status"], request["service_code"], request["service_name"], request["agency_responsible"]) == (
        "open", "renew-driving-licence", "Renew a driving licence", "Royal Oman Police")
    assert (request["requested_datetime"], request["expected_datetime"]) == ("2026-11-23T10:00:00Z",
                                                                             "2026-11-26T10:00:00Z")
    assert "DL-12345" not in response.text and "12345678" not in response.text


async def test_a_closed_request_has_no_expected_time_and_says_why(portal: Portal) -> None:
    headers = await portal.sign_in()
    number = await submitted(portal, headers)
    portal.fakes.requests[number]["status"] = "rejected"
    portal.fakes.requests[number]["history"].append({"status": "rejected", "previous_status": "in_review",
                                                     "actor": "ministry", "note": "The licence was revoked.",
                                                     "applied": True, "at": "2026-11-24T10:00:00+00:00"})

    [request] = (await portal.client.get(f"/open311/v2/requests/{number}.json", headers=headers)).json()

    assert (request["status"], request["expected_datetime"], request["status_notes"]) == (
        "closed", None, "The licence was revoked.")


async def test_the_xml_request_carries_the_same_fields(portal: Portal) -> None:
    headers = await portal.sign_in()
    number = await submitted(portal, headers)

    as_json = (await portal.client.get(f"/open311/v2/requests/{number}.json", headers=headers)).json()
    as_xml = await portal.client.get(f"/open311/v2/requests/{number}.xml", headers=headers)

    assert xml_items(as_xml.content, "request") == as_text(as_json)


async def test_another_citizens_request_is_absent(portal: Portal) -> None:
    number = await submitted(portal, await portal.sign_in())
    other = await portal.sign_in(national_id="87654321", name="Salim")

    one = await portal.client.get(f"/open311/v2/requests/{number}.json", headers=other)
    listed = await portal.client.get("/open311/v2/requests.json", params={"service_request_id": number},
                                     headers=other)

    assert one.status_code == 404 and one.json()[0]["description"].startswith("request-not-found: ")
    assert listed.status_code == 200 and listed.json() == []


async def test_reading_requests_needs_a_signed_in_citizen(portal: Portal) -> None:
    await submitted(portal, await portal.sign_in())

    response = await portal.client.get("/open311/v2/requests.json")

    assert response.status_code == 401


async def test_the_sign_in_token_also_works_as_the_password_of_http_basic(portal: Portal) -> None:
    headers = await portal.sign_in()
    number = await submitted(portal, headers)
    token = headers["Authorization"].removeprefix("Bearer ")
    basic = {"Authorization": "Basic " + base64.b64encode(f"citizen:{token}".encode()).decode()}

    response = await portal.client.get(f"/open311/v2/requests/{number}.json", headers=basic)

    assert response.status_code == 200 and response.json()[0]["service_request_id"] == number


FILTERS: list[tuple[dict[str, str], bool]] = [
    ({}, True),  # 90 days from the start date
    ({"status": "open"}, True),
    ({"status": "closed"}, False),
    ({"service_code": "renew-passport"}, False),
    ({"service_code": "renew-passport,renew-driving-licence"}, True),
    ({"start_date": "2026-11-01T00:00:00Z", "end_date": "2026-11-30T00:00:00Z"}, True),
    ({"start_date": "2026-11-24T00:00:00Z"}, False),
    ({"end_date": "2026-10-01T00:00:00Z"}, False),
]


async def test_a_citizens_requests_are_found_by_the_specifications_filters(portal: Portal) -> None:
    headers = await portal.sign_in()
    number = await submitted(portal, headers)

    for params, found in FILTERS:
        if not params.get("start_date") and not params.get("end_date"):
            params = params | {"start_date": "2026-11-20T00:00:00Z"}  # the fakes' requests are of 23 November 2026
        response = await portal.client.get("/open311/v2/requests.json", params=params, headers=headers)

        assert response.status_code == 200
        assert [r["service_request_id"] for r in response.json()] == ([number] if found else []), params


REFUSED_QUERIES = [
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "date-range-too-long"),
    ({"start_date": "yesterday"}, "invalid-date"),
    ({"status": "pending"}, "invalid-status"),
]


async def test_a_query_the_specification_does_not_allow_is_refused(portal: Portal) -> None:
    headers = await portal.sign_in()

    for params, code in REFUSED_QUERIES:
        response = await portal.client.get("/open311/v2/requests.json", params=params, headers=headers)

        assert response.status_code == 400 and response.json()[0]["description"].startswith(f"{code}: ")


async def test_discovery_names_the_endpoint_and_its_formats(portal: Portal) -> None:
    discovery = (await portal.client.get("/open311/v2/discovery.json")).json()

    [endpoint] = discovery["endpoints"]
    assert endpoint["url"] == "http://test/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}


def test_without_dates_the_query_covers_the_last_90_days() -> None:
    from datetime import UTC, datetime, timedelta

    from services.gateway.open311.rules import request_query

    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    query = request_query(None, None, None, None, None, now)

    assert (query.start, query.end) == (now - timedelta(days=90), now)
    assert request_query(None, None, None, "2026-12-01T00:00:00Z", None, now).start == datetime(
        2026, 9, 2, tzinfo=UTC)


ODD_PATHS = [
    "/open311/v2/services/renew%3Fpage=2.json", "/open311/v2/services/A.xml",
    "/open311/v2/requests/ROP-2026-000001-0.json", f"/open311/v2/requests/ROP-2026-{'1' * 5000}-0.json",
    "/open311/v2/requests/%F0%9F%92%A5.xml", "/open311/v2/requests.json?start_date=9999-12-31T23:59:59%2B14:00",
    "/open311/v2/requests.json?end_date=0001-01-01T00:00:00Z", "/open311/v2/requests.json?start_date=%00",
    "/open311/v2/services.json?jurisdiction_id=elsewhere", "/open311/v2/services.json?lang=fr",
]


async def test_odd_input_gets_a_clear_error_list_never_a_500(portal: Portal) -> None:
    headers = await portal.sign_in()

    for path in ODD_PATHS:
        response = await portal.client.get(path, headers=headers)

        assert 400 <= response.status_code < 500, path[:80]
        if path.split("?")[0].endswith(".json"):
            assert all(set(error) == {"code", "description"} for error in response.json())
        else:
            assert ElementTree.fromstring(response.content).tag == "errors"


ODD_SUBMISSIONS = [b"service_code=renew-driving-licence&attribute[copies]=1e999", b"service_code=../../admin",
                   b"%FF%FE=1", b"service_code=" + b"a" * 70_000,
                   b"attribute[delivery][]=post&attribute[delivery][]=x&service_code=renew-passport"]


async def test_an_odd_submission_gets_a_clear_error_list_never_a_500(portal: Portal) -> None:
    headers = await portal.sign_in() | {"Content-Type": "application/x-www-form-urlencoded"}

    for body in ODD_SUBMISSIONS:
        response = await portal.client.post("/open311/v2/requests.json", content=body, headers=headers)

        assert 400 <= response.status_code < 500, body[:60]
    assert portal.fakes.submitted == []


async def test_a_query_parameter_is_named_as_itself_and_a_form_field_as_its_attribute(portal: Portal) -> None:
    headers = await portal.sign_in()
    portal.fakes.reject_fields = {"licence_number": "is already renewed"}

    query = await portal.client.get("/open311/v2/services.json", params={"lang": "fr"})
    upstream = await portal.client.post("/open311/v2/requests.json", data=form(**ANSWERS), headers=headers)

    assert query.json()[0]["description"].startswith("invalid-input: lang ")
    assert upstream.json() == [{"code": 422, "description":
                                "invalid-fields: attribute[licence_number] is already renewed"}]


async def test_the_citizens_routes_declare_the_bearer_scheme_and_xml_errors_in_the_openapi(portal: Portal) -> None:
    app = portal.app
    paths = app.openapi()["paths"]

    mine = paths["/open311/v2/requests.{format}"]["get"]
    public = paths["/open311/v2/services.{format}"]["get"]
    assert mine.get("security") and not public.get("security")
    assert set(mine["responses"]["404"]["content"]) == {"application/json", "text/xml"}
