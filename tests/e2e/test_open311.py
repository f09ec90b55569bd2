"""An outside Open311 client, the `georeport` package from PyPI used as it is, against the running portal."""

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import requests
from georeport import GeoReport

from tests.e2e.conftest import RunningPortal

pytestmark = pytest.mark.e2e
SERVICE = "renew-driving-licence"


def signed_in_root(portal: RunningPortal, token: str) -> str:
    """The endpoint's address with the sign-in token as its password: the one way georeport can authenticate."""
    parts = urlsplit(f"{portal.url}/open311/v2")
    return urlunsplit(parts._replace(netloc=f"citizen:{token}@{parts.netloc}"))


def submit(portal: RunningPortal, token: str, definition: dict[str, Any]) -> str:
    answers = {"licence_number": "DL-77881", "phone": "91234567"}
    attributes = {a["code"]: a for a in definition["attributes"]}
    form = {"service_code": SERVICE, "api_key": "e2e-civic-app",
            "attribute[delivery]": attributes["delivery"]["values"][0]["key"]}
    form |= {f"attribute[{code}]": value for code, value in answers.items()}
    response = httpx.post(f"{portal.url}/open311/v2/requests.json", data=form,
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 201, response.text
    number: str = response.json()[0]["service_request_id"]
    return number


def test_an_unmodified_open311_client_lists_services_reads_a_definition_and_reads_a_submitted_request(
        portal: RunningPortal) -> None:
    token = httpx.post(f"{portal.url}/api/v1/auth/dev-token",
                       json={"national_id": "23456789", "name": "Maryam"}).json()["access_token"]
    public = GeoReport(f"{portal.url}/open311/v2")

    services = {s["service_code"]: s for s in public.get_service_list()}
    definition = public.get_service_definition(SERVICE)
    number = submit(portal, token, definition)
    mine = GeoReport(signed_in_root(portal, token))
    read = mine.get_service_request(number)
    listed = mine.get_service_requests(service_request_id=number)

    assert len(services) >= 60
    assert (services[SERVICE]["group"], services[SERVICE]["type"]) == ("Royal Oman Police", "realtime")
    assert {a["code"]: a["datatype"] for a in definition["attributes"]} == {
        "licence_number": "string", "delivery": "singlevaluelist", "phone": "string"}
    assert read["service_request_id"] == number and read["service_code"] == SERVICE
    assert read["status"] in ("open", "closed") and read["agency_responsible"] == "Royal Oman Police"
    assert [r["service_request_id"] for r in listed] == [number]
    assert "91234567" not in str(read) and "23456789" not in str(read)
    with pytest.raises(requests.HTTPError):
        public.get_service_definition("no-such-service")
    with pytest.raises(requests.HTTPError):
        public.get_service_request(number)  # not signed in: nobody else reads it


def test_the_xml_answers_are_well_formed_and_carry_the_same_fields_as_json(portal: RunningPortal) -> None:
    token = httpx.post(f"{portal.url}/api/v1/auth/dev-token",
                       json={"national_id": "34567890", "name": "Khalid"}).json()["access_token"]
    as_json, as_xml = GeoReport(f"{portal.url}/open311/v2"), GeoReport(f"{portal.url}/open311/v2",
                                                                       output_format="xml")
    number = submit(portal, token, as_json.get_service_definition(SERVICE))
    mine_json, mine_xml = (GeoReport(signed_in_root(portal, token), output_format=f) for f in ("json", "xml"))

    xml_services = {s["service_code"]: s for s in as_xml.get_service_list()}
    json_services = {s["service_code"]: s for s in as_json.get_service_list()}
    xml_definition = as_xml.get_service_definition(SERVICE)
    read_json, read_xml = mine_json.get_service_request(number), mine_xml.get_service_request(number)

    assert set(xml_services) == set(json_services)
    assert set(xml_services[SERVICE]) == set(json_services[SERVICE])
    assert xml_services[SERVICE]["service_name"] == json_services[SERVICE]["service_name"]
    assert [a["code"] for a in xml_definition["attributes"]["attribute"]] == ["licence_number", "delivery", "phone"]
    assert set(read_xml) == set(read_json)
    assert (read_xml["service_request_id"], read_xml["service_code"]) == (number, SERVICE)


def test_the_facade_is_in_the_running_gateways_public_openapi(portal: RunningPortal) -> None:
    paths = httpx.get(f"{portal.url}/openapi.json", timeout=10).json()["paths"]

    assert {"/open311/v2/services.{format}", "/open311/v2/services/{service_code}.{format}",
            "/open311/v2/requests.{format}", "/open311/v2/requests/{service_request_id}.{format}",
            "/open311/v2/discovery.json"} <= set(paths)
