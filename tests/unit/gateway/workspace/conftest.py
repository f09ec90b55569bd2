"""The gateway in process, with the requests and catalogue services faked as the agreed API promises
(/tmp/h/api.md): each fake verifies the signed identity and keeps to its ministry, like the real ones."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from services.gateway.adapters.http1 import UpstreamClient
from services.gateway.app import create_app
from services.gateway.config import Settings
from shared.auth import IDENTITY_HEADER, Identity, IdentityVerifier
from shared.contracts.tracking import format_tracking_number
from tests.unit.gateway.conftest import UPSTREAMS, csrf_of
from tests.unit.gateway.upstreams import mocked

MOVES = {"submitted": {"received"}, "received": {"in_review"},
         "in_review": {"action_required", "approved", "rejected"}, "action_required": {"in_review", "rejected"},
         "approved": {"completed"}, "rejected": {"completed"}}
STATUSES = ("submitted", "received", "in_review", "action_required", "approved", "rejected", "completed",
            "cancelled")


def tracking_number(ministry: str, sequence: int) -> str:
    return format_tracking_number(ministry, 2026, sequence)


def create_managed_service(slug: str, ministry: str, maturity: str = "semi_electronic") -> dict[str, Any]:
    channels: list[dict[str, Any]] = [{"kind": "service_centre", "name": None, "url": None, "hours": []}]
    if maturity != "manual":
        channels.insert(0, {"kind": "online", "name": None, "url": None, "hours": []})
    record = {
        "slug": slug, "ministry": ministry, "ministry_name": {"ar": "وزارة التنمية الاجتماعية",
                                                             "en": "Ministry of Social Development"},
        "version": 1, "title": {"ar": "إصدار بطاقة إعاقة", "en": "Issue a disability card"},
        "description": {"ar": "وصف", "en": "A description"}, "keywords": [], "maturity": maturity,
        "life_events": ["health"], "target_days": 10, "steps": [], "synonyms": {"ar": [], "en": []},
        "audience": ["citizen"], "channels": channels,
        "evidence": [], "eligibility": None, "fees": [], "output": None, "legal_basis": [], "digitised_on": None,
        "form": [
            {"name": "person_civil_number", "kind": "national_id",
             "label": {"ar": "الرقم المدني", "en": "Civil number"},
             "help": None, "required": True, "choices": [], "min_length": None, "max_length": None, "minimum": None,
             "maximum": None},
            {"name": "disability_type", "kind": "choice", "label": {"ar": "نوع الإعاقة", "en": "Disability type"},
             "help": {"ar": "اختر واحداً", "en": "Choose one"}, "required": True, "choices": ["visual", "hearing"],
             "min_length": None, "max_length": None, "minimum": None, "maximum": None},
            {"name": "medical_report", "kind": "file", "label": {"ar": "التقرير الطبي", "en": "Medical report"},
             "help": None, "required": True, "choices": [], "min_length": None, "max_length": None,
             "minimum": None, "maximum": None},
        ],
    }
    return {"slug": slug, "status": "published", "version": 1, "latest_version": 1, "record": record, "draft": None}


@dataclass
class Call:
    upstream: str
    method: str
    path: str
    identity: Identity | None
    body: Any
    params: dict[str, str]


@dataclass
class WorkspaceFakes:
    verifier: IdentityVerifier
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    readiness: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Learned next-service patterns, as the requests service's admin API lists them.
    patterns: list[dict[str, Any]] = field(default_factory=list)
    # Each service's eight-week forecast, as GET /api/v1/ministry/forecast gives it.
    forecasts: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    # The queue's counts stop there, as the requests service's do.
    count_limit: int = 1_000

    def client(self, name: str) -> UpstreamClient:
        async def handle(request: httpx.Request) -> httpx.Response:
            token = request.headers.get(IDENTITY_HEADER)
            who = self.verifier.verify(token) if token else None
            body = json.loads(request.content) if request.content else None
            self.calls.append(Call(name, request.method, request.url.path, who, body, dict(request.url.params)))
            handler = getattr(self, f"_{name}", None)
            if handler is None:
                return httpx.Response(404, json={"code": "not-found"})
            found: httpx.Response = handler(request, who, body)
            return found

        return mocked(handle, f"http://{name}")

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method != "GET"]

    def add_request(self, ministry: str = "mosd", status: str = "submitted", service: str = "issue-disability-card",
                    assignee: dict[str, str] | None = None) -> str:
        number = tracking_number(ministry, len(self.requests) + 1)
        self.requests[number] = {
            "tracking_number": number, "service": service, "ministry": ministry, "status": status,
            "submitted_at": "2026-11-20T08:00:00+00:00", "updated_at": "2026-11-20T08:00:00+00:00",
            "due_on": f"2026-12-{len(self.requests):02d}T08:00:00+00:00", "overdue": False,
            "expected_completion": "2026-12-01T08:00:00+00:00", "fields_to_correct": [], "action_note": None,
            "assignee": assignee, "citizen": "12345678",
            "fields": {"person_civil_number": "12345678", "disability_type": "visual",
                       "medical_report": "file-ref-7f3a"},
            "history": [{"status": "submitted", "previous_status": None, "actor": "citizen", "actor_name": None,
                         "note": None, "at": "2026-11-20T08:00:00+00:00", "applied": True}],
        }
        return number

    # --- requests -----------------------------------------------------------------------------------------

    def _requests(self, request: httpx.Request, who: Identity | None, body: Any) -> httpx.Response:
        if who is None:
            return httpx.Response(401, json={"code": "unauthenticated"})
        path = request.url.path
        if path.startswith("/api/v1/admin/insights/"):
            return self._insights(request, who)
        if path == "/api/v1/ministry/requests":
            return self._queue(request, who)
        if path == "/api/v1/ministry/workload":
            return self._workload(request, who)
        if path == "/api/v1/ministry/forecast":
            return self._forecast(request, who)
        number = path.removeprefix("/api/v1/ministry/requests/").removeprefix("/api/v1/requests/").split("/")[0]
        found = self.requests.get(number)
        if found is None or (who.role != "admin" and found["ministry"] != who.ministry):
            return httpx.Response(404, json={"code": "request-not-found"})
        if request.method == "GET":
            moves = sorted(MOVES.get(found["status"], set())) if who.role == "officer" else []
            return httpx.Response(200, json={k: v for k, v in found.items() if k != "citizen"} | {"moves": moves})
        if who.role not in ("officer", "ministry"):
            return httpx.Response(403, json={"code": "forbidden"})
        if path.endswith("/assign"):
            current = (found["assignee"] or {}).get("id")
            if "expected_assignee" in body and body["expected_assignee"] != current:
                return httpx.Response(409, json={"code": "assignment-changed"})
            found["assignee"] = {"id": who.subject, "name": who.name} if body["assignee"] == "me" else None
            return httpx.Response(200, json=found)
        if body.get("expected_status") and body["expected_status"] != found["status"]:
            return httpx.Response(409, json={"code": "status-changed", "current_status": found["status"]})
        if body["status"] not in MOVES.get(found["status"], set()):
            return httpx.Response(422, json={"code": "illegal-transition"})
        if body["status"] == "rejected" and not body.get("note"):
            return httpx.Response(422, json={"code": "note-required"})
        found["history"].append({"status": body["status"], "previous_status": found["status"],
                                 "actor": f"officer:{who.subject}", "actor_name": who.name,
                                 "note": body.get("note"), "at": "2026-11-21T09:00:00+00:00", "applied": True})
        found["status"] = body["status"]
        found["fields_to_correct"] = body.get("fields_to_correct") or []
        found["action_note"] = body.get("note") if body["status"] == "action_required" else None
        return httpx.Response(200, json={"outcome": "apply", "status": found["status"]})

    def _forecast(self, request: httpx.Request, who: Identity) -> httpx.Response:
        ministry = request.url.params.get("ministry") if who.role == "admin" else who.ministry
        items = [f for f in self.forecasts if ministry is None or f["ministry"] == ministry]
        if request.url.params.get("format") == "csv":
            lines = ["ministry,service,week,expected,lower,upper"] + [
                f"{f['ministry']},{f['service']},{w['week']},{w['expected']},{w['lower']},{w['upper']}"
                for f in items for w in f["weeks"]]
            return httpx.Response(200, text="\r\n".join(lines), headers={"content-type": "text/csv"})
        return httpx.Response(200, json={"items": items})

    def _insights(self, request: httpx.Request, who: Identity) -> httpx.Response:
        if who.role != "admin":
            return httpx.Response(403, json={"code": "forbidden"})
        if request.method == "GET":
            return httpx.Response(200, json={"min_citizens": 50, "window_days": 180, "last_run": None,
                                             "auto_approval": None, "items": self.patterns})
        after, then, decision = request.url.path.split("/")[-3:]
        for pattern in self.patterns:
            if (pattern["after"], pattern["then"]) == (after, then):
                pattern |= {"state": "approved" if decision == "approve" else "off", "decided_by": who.subject}
                return httpx.Response(200, json=pattern)
        return httpx.Response(404, json={"code": "pattern-not-found"})

    def _queue(self, request: httpx.Request, who: Identity) -> httpx.Response:
        if who.role not in ("officer", "service_manager", "ministry", "admin"):
            return httpx.Response(403, json={"code": "forbidden"})
        params = request.url.params
        ministry = params.get("ministry") if who.role == "admin" else who.ministry
        mine = [r for r in self.requests.values() if r["ministry"] == ministry]
        counts: dict[str, int] = {s: sum(r["status"] == s for r in mine) for s in STATUSES}
        counts |= {"overdue": sum(r["overdue"] for r in mine),
                   "assigned_to_me": sum((r["assignee"] or {}).get("id") == who.subject for r in mine),
                   "unassigned": sum(r["assignee"] is None for r in mine),
                   "stalled": sum(bool(r.get("stalled")) for r in mine)}
        shown = [r for r in mine if (not params.get("status") or r["status"] == params["status"])
                 and (not params.get("service") or r["service"] == params["service"])
                 and (params.get("assigned") != "me" or (r["assignee"] or {}).get("id") == who.subject)
                 and (params.get("overdue") != "true" or r["overdue"])
                 and (params.get("stalled") != "true" or r.get("stalled"))]
        shown.sort(key=lambda r: (r["due_on"], r["tracking_number"]))
        page = int(params.get("page", "1"))
        return httpx.Response(200, json={
            "total": min(len(shown), self.count_limit), "page": page, "count_limit": self.count_limit,
            "counts": {tab: min(n, self.count_limit) for tab, n in counts.items()},
            "items": shown[(page - 1) * 50:page * 50]})

    def _workload(self, request: httpx.Request, who: Identity) -> httpx.Response:
        if request.url.params.get("format") == "csv":
            return httpx.Response(200, text="kind,service,open\nservice,issue-disability-card,3\n",
                                  headers={"content-type": "text/csv"})
        return httpx.Response(200, json={
            "services": [{"service": "issue-disability-card", "open": 3, "overdue": 1, "decided": 2,
                          "median_handling_hours": 20.5}],
            "officers": [{"officer": "officer:90000101", "officer_name": "Salma Al-Harthy", "assigned_open": 2,
                          "overdue": 1, "decided": 2, "median_handling_hours": 18.0}]})

    # --- catalog ------------------------------------------------------------------------------------------

    def _catalog(self, request: httpx.Request, who: Identity | None, body: Any) -> httpx.Response:
        path = request.url.path
        if path.startswith("/api/v1/services/"):
            found = self.services.get(path.removeprefix("/api/v1/services/"))
            if found is None:
                return httpx.Response(404, json={"code": "service-not-found"})
            lang = request.url.params.get("lang")
            return httpx.Response(200, json=_localise(found["record"], lang) if lang else found["record"])
        if who is None:
            return httpx.Response(401, json={"code": "unauthenticated"})
        if path.startswith("/api/v1/admin/"):
            if who.role != "admin":
                return httpx.Response(403, json={"code": "forbidden"})
            if path == "/api/v1/admin/onboarding":
                return httpx.Response(200, json={"ministries": [{
                    "ministry": "mosd",
                    "name": {"ar": "وزارة التنمية الاجتماعية", "en": "Ministry of Social Development"},
                    "services": 4, "assessed": 1, "published": 4, "digitised": 1, "electronic": 0, "workspace": True}]})
            return httpx.Response(200, json={"items": [{
                "rank": 1, "slug": "issue-disability-card", "title": {"ar": "إصدار بطاقة إعاقة",
                                                                      "en": "Issue a disability card"},
                "ministry": "mosd", "maturity": "semi_electronic", "status": "published", "priority": 61.5,
                "score": {"readiness": 55.0, "annual_saving_omr": "1200.000"}}]})
        if path == "/api/v1/ministry/services":
            return httpx.Response(200, json=[s for s in self.services.values()
                                             if who.role == "admin" or s["record"]["ministry"] == who.ministry])
        slug = path.removeprefix("/api/v1/ministry/services/").split("/")[0]
        found = self.services.get(slug)
        if found is None:
            return httpx.Response(404, json={"code": "service-not-found"})
        if who.role != "admin" and found["record"]["ministry"] != who.ministry:
            return httpx.Response(403, json={"code": "forbidden"})
        if request.method != "GET" and who.role not in ("service_manager", "ministry"):
            return httpx.Response(403, json={"code": "forbidden"})
        if path.endswith("/readiness"):
            if request.method == "GET":
                kept = self.readiness.get(slug)
                return httpx.Response(200, json=kept) if kept else httpx.Response(404, json={"code": "not-assessed"})
            self.readiness[slug] = {"slug": slug, "answers": body, "assessed_at": "2026-11-23T10:00:00Z",
                                    "assessed_by": who.subject, "score": {
                                        "business": 80.0, "technical": 50.0, "readiness": 65.0, "impact": 40.0,
                                        "digital_gap": 0.5, "annual_saving_omr": "900.000", "priority": 52.3}}
            return httpx.Response(200, json=self.readiness[slug])
        if request.method == "PUT":
            if set(body) & {"ministry", "ministry_name", "version", "digitised_on"}:
                return httpx.Response(422, json={"code": "invalid", "detail": "extra fields"})
            version = found["latest_version"] + 1
            record = body | {"ministry": found["record"]["ministry"], "ministry_name": found["record"]["ministry_name"],
                             "version": version, "digitised_on": found["record"]["digitised_on"]}
            if found["record"]["maturity"] == "manual" and body["maturity"] != "manual":
                record["digitised_on"] = "2026-11-23"
            found.update({"record": record, "version": version, "latest_version": version})
            return httpx.Response(200, json=found)
        return httpx.Response(200, json=found)


def _localise(value: Any, lang: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"ar", "en"}:
            return value[lang]
        return {k: _localise(v, lang) for k, v in value.items()}
    return [_localise(v, lang) for v in value] if isinstance(value, list) else value


STAFF = {
    "officer": {"national_id": "90000101", "name": "Salma Al-Harthy", "role": "officer", "ministry": "mosd"},
    "officer2": {"national_id": "90000103", "name": "Khalid Al-Balushi", "role": "officer", "ministry": "mosd"},
    "manager": {"national_id": "90000102", "name": "Aisha Al-Rawahi", "role": "service_manager", "ministry": "mosd"},
    "admin": {"national_id": "90000001", "name": "Portal Staff", "role": "admin"},
    "other_officer": {"national_id": "90000201", "name": "Other Officer", "role": "officer", "ministry": "rop"},
    "other_manager": {"national_id": "90000202", "name": "Other Manager", "role": "service_manager",
                      "ministry": "rop"},
    "citizen": {"national_id": "12345678", "name": "Aisha"},
}


@dataclass
class Workspace:
    app: FastAPI
    client: httpx.AsyncClient
    fakes: WorkspaceFakes

    async def token(self, who: str) -> str:
        response = await self.client.post("/api/v1/auth/dev-token", json=STAFF[who])
        token: str = response.json()["access_token"]
        return token

    async def sign_in(self, who: str) -> None:
        """As a browser does: the workspace's staff cookie (or the citizen's session cookie for a citizen)."""
        token = await self.token(who)
        self.client.cookies.set("portal_staff" if who != "citizen" else "portal_session", token)

    async def csrf(self) -> str:
        return csrf_of((await self.client.get("/workspace/sign-in")).text)

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> httpx.Response:
        items = list(data.items()) if isinstance(data, dict) else list(data)
        body = urlencode([("csrf_token", await self.csrf()), *items])
        return await self.client.post(path, content=body,
                                      headers={"content-type": "application/x-www-form-urlencoded"})


@pytest.fixture
async def workspace(keypair: tuple[str, str]) -> AsyncIterator[Workspace]:
    app = create_app(Settings(identity_private_key=keypair[0], dev_auth=True))
    fakes = WorkspaceFakes(IdentityVerifier(keypair[1]))
    fakes.services["issue-disability-card"] = create_managed_service("issue-disability-card", "mosd")
    fakes.services["book-counselling"] = create_managed_service("book-counselling", "mosd", maturity="manual")
    fakes.services["renew-driving-licence"] = create_managed_service("renew-driving-licence", "rop")
    app.state.deps.upstreams = {name: fakes.client(name) for name in UPSTREAMS}
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield Workspace(app, client, fakes)
