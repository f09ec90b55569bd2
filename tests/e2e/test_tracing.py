"""One submission is one trace an operator can follow: gateway → requests → bus → ministry → requests."""

import json
import secrets
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningPortal
from tests.e2e.test_thin_slice import poll

pytestmark = pytest.mark.e2e


def spans_of(portal: RunningPortal, trace_id: str) -> list[dict[str, Any]]:
    found = []
    for file in (portal.run_dir / "traces").glob("*.jsonl"):
        for line in file.read_text(encoding="utf-8").splitlines():
            if f'"trace_id": "0x{trace_id}"' in line:
                found.append(json.loads(line))
    return found


def test_a_submission_is_one_trace_from_the_gateway_through_the_ministry_and_back(portal: RunningPortal) -> None:
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        sign_in = client.post("/api/v1/auth/dev-token", json={"national_id": "76543210", "name": "Aisha"})
        # The citizen's app starts the trace and says something of its own in tracestate.
        trace_id, app_span = secrets.token_hex(16), secrets.token_hex(8)
        citizen = {"Authorization": f"Bearer {sign_in.json()['access_token']}",
                   "traceparent": f"00-{trace_id}-{app_span}-01", "tracestate": "citizenapp=7"}
        submitted = client.post("/api/v1/requests", headers=citizen, json={
            "service": "renew-driving-licence",
            "fields": {"licence_number": "12345678", "delivery": "post", "phone": "91234567"}})
        assert submitted.status_code == 201, submitted.text
    assert submitted.headers["traceparent"].split("-")[1] == trace_id

    def names(spans: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(s["resource"]["attributes"]["service.name"], s["name"]) for s in spans}

    wanted = {("gateway", "POST /api/v1/{rest:path}"), ("requests", "POST /api/v1/requests"),
              ("requests", "rop.request.submitted publish"),
              ("simulated-ministry", "ministry.rop.inbox process"),
              ("simulated-ministry", "rop.request.status_updated publish"),
              ("requests", "requests.from.rop process")}
    spans = poll(lambda: spans_of(portal, trace_id), lambda found: wanted <= names(found), within=30)
    by_id = {s["context"]["span_id"]: s for s in spans}

    def parent(service: str, name: str) -> dict[str, Any]:
        span = next(s for s in spans if (s["resource"]["attributes"]["service.name"], s["name"]) == (service, name))
        return by_id[span["parent_id"]]

    assert parent("simulated-ministry", "ministry.rop.inbox process")["name"] == "rop.request.submitted publish"
    assert parent("requests", "requests.from.rop process")["name"] == "rop.request.status_updated publish"
    assert all(s["context"]["trace_id"] == f"0x{trace_id}" for s in spans)
    gateway = next(s for s in spans if s["name"] == "POST /api/v1/{rest:path}")
    assert gateway["parent_id"] == f"0x{app_span}"
    assert parent("requests", "POST /api/v1/requests")["resource"]["attributes"]["service.name"] == "gateway"
    # The citizen app's tracestate travels too: over HTTP, through the outbox, over the bus to the ministry.
    for name in ("POST /api/v1/requests", "rop.request.submitted publish", "ministry.rop.inbox process"):
        assert "citizenapp" in str(next(s for s in spans if s["name"] == name)["context"]["trace_state"]), name
