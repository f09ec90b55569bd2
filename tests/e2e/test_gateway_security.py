"""Through the real portal: every request route keeps citizens apart (both ways), and ministries apart."""

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.e2e.conftest import RunningPortal

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Citizen:
    headers: dict[str, str]
    tracking_number: str


def sign_in(client: httpx.Client, national_id: str) -> dict[str, str]:
    body = client.post("/api/v1/auth/dev-token", json={"national_id": national_id, "name": "x"}).json()
    return {"Authorization": f"Bearer {body['access_token']}"}


def submit(client: httpx.Client, headers: dict[str, str], service: str, fields: dict[str, object]) -> str:
    response = client.post("/api/v1/requests", headers=headers, json={"service": service, "fields": fields})
    assert response.status_code == 201, response.text
    return str(response.json()["tracking_number"])


VEHICLE = ("renew-vehicle-registration", {"plate_number": "1234AB", "insurance_valid": True})
BIRTH = ("issue-birth-certificate", {"child_name": "Maryam", "date_of_birth": "2026-11-01", "hospital": "royal"})


@pytest.fixture(scope="module")
def two_citizens(portal: RunningPortal) -> Iterator[tuple[Citizen, Citizen]]:
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        aisha, salim = sign_in(client, "21212121"), sign_in(client, "43434343")
        yield (Citizen(aisha, submit(client, aisha, *VEHICLE)), Citizen(salim, submit(client, salim, *BIRTH)))


ROUTES = [("GET", "/api/v1/requests/{n}", None), ("GET", "/api/v1/requests/{n}/events", None),
          ("POST", "/api/v1/requests/{n}/cancel", {}), ("POST", "/api/v1/requests/{n}/respond", {"note": "hi"})]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize("direction", ["aisha-reads-salims", "salim-reads-aishas"])
def test_a_citizen_can_neither_read_nor_act_on_another_citizens_request(
        portal: RunningPortal, two_citizens: tuple[Citizen, Citizen], method: str, path: str,
        body: dict[str, str] | None, direction: str) -> None:
    aisha, salim = two_citizens
    caller, owner = (aisha, salim) if direction == "aisha-reads-salims" else (salim, aisha)
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        response = client.request(method, path.format(n=owner.tracking_number), headers=caller.headers, json=body)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert owner.tracking_number not in {r["tracking_number"] for r in
                                             client.get("/api/v1/requests", headers=caller.headers).json()["items"]}
        own = client.get(f"/api/v1/requests/{caller.tracking_number}", headers=caller.headers)
        assert own.status_code == 200  # the refusal is about whose request it is, not a broken route


@pytest.mark.parametrize("direction", ["aisha-reads-salims", "salim-reads-aishas"])
def test_a_citizens_request_page_shows_nothing_of_another_citizens_request(
        portal: RunningPortal, two_citizens: tuple[Citizen, Citizen], direction: str) -> None:
    aisha, salim = two_citizens
    caller, owner = (aisha, salim) if direction == "aisha-reads-salims" else (salim, aisha)
    cookie = {"portal_session": caller.headers["Authorization"].removeprefix("Bearer ")}
    with httpx.Client(base_url=portal.url, timeout=10, cookies=cookie) as client:
        for page in (f"/requests/{owner.tracking_number}", f"/requests/{owner.tracking_number}/confirmation"):
            response = client.get(page)
            assert response.status_code == 404
            assert owner.tracking_number not in response.text.replace(f"/requests/{owner.tracking_number}", "")
        assert client.get(f"/requests/{caller.tracking_number}").status_code == 200


def test_a_ministry_key_cannot_reach_another_ministrys_requests_or_services(
        portal: RunningPortal, two_citizens: tuple[Citizen, Citizen]) -> None:
    aishas_rop_request, salims_moh_request = two_citizens[0].tracking_number, two_citizens[1].tracking_number
    rop = {"Authorization": f"Bearer {portal.ministry_key('rop')}"}
    moh = {"Authorization": f"Bearer {portal.ministry_key('moh')}"}
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        for key, foreign, own_code in ((rop, salims_moh_request, "rop"), (moh, aishas_rop_request, "moh")):
            moved = client.post(f"/api/v1/ministry/requests/{foreign}/status", headers=key,
                                json={"status": "rejected", "note": "not mine"})
            assert moved.status_code in (403, 404), moved.text
            read = client.get(f"/api/v1/requests/{foreign}", headers=key)
            assert read.status_code in (403, 404), read.text
            queue = client.get("/api/v1/ministry/requests", headers=key).json()
            assert {r["ministry"] for r in queue["items"]} <= {own_code}
        retire = client.post("/api/v1/ministry/services/issue-birth-certificate/retire", headers=rop)
        assert retire.status_code in (403, 404), retire.text
        still = client.get("/api/v1/services/issue-birth-certificate")
        assert still.status_code == 200 and still.json()["ministry"] == "moh"
