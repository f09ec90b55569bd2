"""A gateway in process, in front of fakes that keep the services' promises (each checks the identity)."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from services.gateway.adapters.http1 import UpstreamClient
from services.gateway.app import create_app
from services.gateway.config import Settings
from shared.auth import IDENTITY_HEADER, Identity, IdentityVerifier
from tests.factories import create_gateway_service
from tests.unit.gateway.upstreams import mocked

UPSTREAMS = ("catalog", "search", "requests", "notifications")


@dataclass
class FakeServices:
    """The four services as the gateway sees them over HTTP: the requests fake shows a citizen only theirs."""

    verifier: IdentityVerifier
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    # Answering 503 busy with Retry-After: alive, turning writes away for a moment.
    busy: set[str] = field(default_factory=set)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    submitted: list[dict[str, Any]] = field(default_factory=list)
    idempotency_keys: list[str | None] = field(default_factory=list)
    reject_fields: dict[str, str] = field(default_factory=dict)
    # Issue #8: the citizen's offers (id -> offer with its "owner"), documents (with "owner"), proactive
    # choice per citizen, ratings and answers to "action required", and the public KPIs.
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What the requests service learned each citizen may need next (GET /api/v1/me/suggestions).
    suggestions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dismissed: dict[str, set[str]] = field(default_factory=dict)
    suggestion_notices: dict[str, bool] = field(default_factory=dict)
    documents: list[dict[str, Any]] = field(default_factory=list)
    proactive: dict[str, bool] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    performance: dict[str, Any] = field(default_factory=dict)
    performance_queries: list[dict[str, str]] = field(default_factory=list)

    def identity(self, request: httpx.Request) -> Identity | None:
        token = request.headers.get(IDENTITY_HEADER)
        return self.verifier.verify(token) if token else None

    def client(self, name: str) -> UpstreamClient:
        async def handle(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/openapi.json":  # each service's own document, for the gateway's public one
                return httpx.Response(200, json={"openapi": "3.1.0", "info": {"title": name, "version": "1"},
                                                 "paths": {}})
            self.calls.append((name, request.method, request.url.path))
            if name in self.down:
                raise httpx.ConnectError("connection refused", request=request)
            if name in self.failing:
                return httpx.Response(503, json={"code": "unavailable"})
            if name in self.busy and request.method == "POST":
                return httpx.Response(503, json={"code": "busy"}, headers={"Retry-After": "2"})
            return getattr(self, f"_{name}")(request)

        return mocked(handle, f"http://{name}")

    def _catalog(self, request: httpx.Request) -> httpx.Response:
        path, lang = request.url.path, request.url.params.get("lang")
        if path == "/api/v1/services":
            event = request.url.params.get("life_event")
            items = [self._shown(s, lang) for s in self.services.values() if not event or event in s["life_events"]]
            return httpx.Response(200, json={"total": len(items), "page": 1, "items": items})
        slug = path.removeprefix("/api/v1/services/")
        if slug in self.services:
            return httpx.Response(200, json=self._shown(self.services[slug], lang))
        return httpx.Response(404, json={"code": "service-not-found", "detail": "No such service."})

    @staticmethod
    def _shown(service: dict[str, Any], lang: str | None) -> dict[str, Any]:
        def localise(value: Any) -> Any:
            if isinstance(value, dict):
                return value[lang] if set(value) == {"ar", "en"} and lang else {k: localise(v) for k, v in
                                                                                 value.items()}
            return [localise(v) for v in value] if isinstance(value, list) else value

        return localise(service) if lang else service

    def _search(self, request: httpx.Request) -> httpx.Response:
        q = request.url.params.get("q", "")
        hits = [{"slug": s["slug"], "title": s["title"], "ministry": {"code": s["ministry"],
                                                                     "name": s["ministry_name"]},
                 "score": 1.0, "highlight": f"<mark>{q}</mark> &amp; more",
                 "why": [{"kind": "words", "value": q, "label": q},
                         {"kind": "concept", "value": "renewal", "label": "renewal"}]}
                for s in self.services.values() if q and (q in s["title"]["ar"] or q in s["title"]["en"])]
        return httpx.Response(200, json={"total": len(hits), "page": 1, "hits": hits, "suggestion": None,
                                         "facets": {"ministry": {"rop": len(hits)}, "life_event": {},
                                                    "maturity": {}}})

    def _new_request(self, service: str, owner: str) -> str:
        number = f"ROP-2026-{len(self.requests) + 1:06d}-{check('ROP', len(self.requests) + 1)}"
        self.requests[number] = {"tracking_number": number, "service": service, "ministry": "rop",
                                 "status": "submitted", "owner": owner, "overdue": False,
                                 "submitted_at": "2026-11-23T10:00:00+00:00",
                                 "updated_at": "2026-11-23T10:00:00+00:00", "due_on": "2026-11-26T10:00:00+00:00",
                                 "expected_completion": "2026-11-26T10:00:00+00:00",
                                 "history": [{"status": "submitted", "previous_status": None,
                                              "actor": "citizen", "note": None, "applied": True,
                                              "at": "2026-11-23T10:00:00+00:00"}]}
        return number

    def _requests(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/performance":
            self.performance_queries.append(dict(request.url.params))
            if request.url.params.get("from", "") > request.url.params.get("to", "9999"):
                return httpx.Response(422, json={"code": "invalid-period", "detail": "from is after to."})
            return httpx.Response(200, json=self.performance)
        who = self.identity(request)
        if who is None:
            return httpx.Response(401, json={"code": "unauthenticated"})
        if path.startswith("/api/v1/me/"):
            return self._mine(request, who)
        if path == "/api/v1/requests" and request.method == "POST":
            body = json.loads(request.content)
            if self.reject_fields:
                errors = [{"field": f"fields.{k}", "message": v} for k, v in self.reject_fields.items()]
                return httpx.Response(422, json={"code": "invalid-fields", "errors": errors})
            number = self._new_request(body["service"], who.subject)
            self.submitted.append(body)
            self.idempotency_keys.append(request.headers.get("idempotency-key"))
            return httpx.Response(201, json={"tracking_number": number, "status": "submitted"})
        if path == "/api/v1/requests":
            mine = [self._view(r) for r in self.requests.values() if r["owner"] == who.subject]
            return httpx.Response(200, json={"page": 1, "items": mine})
        number, _, action = path.removeprefix("/api/v1/requests/").partition("/")
        found = self.requests.get(number)
        if found is None or (who.role == "citizen" and found["owner"] != who.subject) or \
                (who.role == "ministry" and found["ministry"] != who.ministry):
            return httpx.Response(404, json={"code": "request-not-found", "detail": "There is no such request."})
        if action == "rating" and request.method == "POST":
            return self._rate(found, json.loads(request.content))
        if action == "respond" and request.method == "POST":
            body = json.loads(request.content)
            if self.reject_fields:
                errors = [{"field": f"fields.{k}", "message": v} for k, v in self.reject_fields.items()]
                return httpx.Response(422, json={"code": "invalid-fields", "errors": errors})
            self.responses.append(body | {"tracking_number": number})
            found |= {"status": "in_review", "fields_to_correct": [], "action_note": None}
            return httpx.Response(200, json=self._view(found))
        return httpx.Response(200, json=self._view(found))

    @staticmethod
    def _rate(found: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        if found["status"] != "completed":
            return httpx.Response(409, json={"code": "not-completed", "detail": "Not completed yet."})
        if found.get("rating"):
            return httpx.Response(409, json={"code": "already-rated", "detail": "Already rated."})
        if not isinstance(body.get("score"), int) or not 1 <= body["score"] <= 5:
            return httpx.Response(422, json={"code": "validation-failed", "detail": "score is 1 to 5."})
        found |= {"rating": {"score": body["score"], "comment": body.get("comment"),
                             "rated_at": "2026-11-23T12:00:00+00:00"}, "survey_open": False}
        return httpx.Response(201, json={"tracking_number": found["tracking_number"], "score": body["score"]})

    def _mine(self, request: httpx.Request, who: Identity) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/me/documents":
            return httpx.Response(200, json={"items": [self._view(d) for d in self.documents
                                                       if d["owner"] == who.subject]})
        if path == "/api/v1/me/proactive":
            if request.method == "PUT":
                self.proactive[who.subject] = bool(json.loads(request.content)["enabled"])
            return httpx.Response(200, json={"proactive": self.proactive.get(who.subject, True)})
        if path.startswith("/api/v1/me/suggestions"):
            return self._suggestions(request, who)
        if path == "/api/v1/me/offers":
            wanted = request.url.params.get("status", "open")
            items = [self._view(o) for o in self.offers.values() if o["owner"] == who.subject and
                     (wanted == "all" or o["status"] == wanted)]
            return httpx.Response(200, json={"proactive": self.proactive.get(who.subject, True), "items": items})
        offer_id, _, action = path.removeprefix("/api/v1/me/offers/").partition("/")
        offer = self.offers.get(offer_id)
        if offer is None or offer["owner"] != who.subject or request.method != "POST":
            return httpx.Response(404, json={"code": "offer-not-found", "detail": "No such offer."})
        if action == "dismiss":
            offer["status"] = "dismissed"
            return httpx.Response(200, json=self._view(offer))
        if offer["status"] == "submitted":
            return httpx.Response(409, json={"code": "offer-already-submitted", "detail": "Already sent.",
                                             "tracking_number": offer["tracking_number"]})
        if offer["status"] == "dismissed":
            return httpx.Response(409, json={"code": "offer-dismissed", "detail": "Dismissed."})
        fields = offer["prefill"] | json.loads(request.content or b"{}").get("fields", {})
        missing = [{"field": f"fields.{name}", "message": "is required"} for name in offer["missing_fields"]
                   if not fields.get(name)]
        if missing:
            return httpx.Response(422, json={"code": "invalid-fields", "errors": missing})
        number = self._new_request(offer["service"], who.subject)
        self.submitted.append({"service": offer["service"], "fields": fields, "offer": offer_id})
        offer |= {"status": "submitted", "tracking_number": number}
        return httpx.Response(201, json={"tracking_number": number, "status": "submitted"})

    def _suggestions(self, request: httpx.Request, who: Identity) -> httpx.Response:
        dismissed = self.dismissed.setdefault(who.subject, set())
        if request.method == "PUT":
            self.suggestion_notices[who.subject] = bool(json.loads(request.content)["enabled"])
            return httpx.Response(200, json={"enabled": self.suggestion_notices[who.subject]})
        if request.method == "POST":
            dismissed.add(request.url.path.split("/")[-2])
            return httpx.Response(204)
        return httpx.Response(200, json={
            "dismissed": sorted(dismissed), "notices": self.suggestion_notices.get(who.subject, False),
            "items": [s for s in self.suggestions.get(who.subject, []) if s["service"] not in dismissed]})

    @staticmethod
    def _view(found: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in found.items() if k != "owner"}

    def _notifications(self, request: httpx.Request) -> httpx.Response:
        who = self.identity(request)
        if who is None:
            return httpx.Response(401, json={"code": "unauthenticated"})
        items = self.notifications.get(who.subject, [])
        if request.url.path == "/api/v1/me/notifications/read-all" and request.method == "POST":
            for item in items:
                item["read_at"] = item.get("read_at") or "2026-11-23T11:00:00Z"
            return httpx.Response(200, json={"marked": len(items)})
        unread = [n for n in items if not n.get("read_at")]
        shown = unread if request.url.params.get("unread_only") == "true" else items
        return httpx.Response(200, json={"unread": len(unread), "total": len(shown), "page": 1, "items": shown})


def check(ministry: str, sequence: int) -> str:
    from shared.contracts.tracking import format_tracking_number

    return format_tracking_number(ministry, 2026, sequence)[-1]


@dataclass
class Portal:
    app: FastAPI
    client: httpx.AsyncClient
    fakes: FakeServices

    async def sign_in(self, national_id: str = "12345678", name: str = "Aisha") -> dict[str, str]:
        response = await self.client.post("/api/v1/auth/dev-token", json={"national_id": national_id,
                                                                          "name": name})
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def browser_sign_in(self, national_id: str = "12345678", name: str = "Aisha") -> None:
        page = await self.client.get("/sign-in")
        await self.client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "national_id": national_id,
                                                 "name": name, "next": "/dashboard"})


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


async def start_portal(keypair: tuple[str, str], **settings: Any) -> tuple[FastAPI, FakeServices]:
    app = create_app(Settings(identity_private_key=keypair[0], dev_auth=True, **settings))
    fakes = FakeServices(IdentityVerifier(keypair[1]))
    fakes.services["renew-driving-licence"] = create_gateway_service()
    fakes.services["renew-passport"] = create_gateway_service(slug="renew-passport", title_ar="تجديد جواز السفر",
                                                              title_en="Renew a passport", life_events=["driving",
                                                                                                        "travel"])
    app.state.deps.upstreams = {name: fakes.client(name) for name in UPSTREAMS}
    return app, fakes


@pytest.fixture
async def portal(keypair: tuple[str, str]) -> AsyncIterator[Portal]:
    app, fakes = await start_portal(keypair)
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield Portal(app, client, fakes)
