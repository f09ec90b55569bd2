"""Learned suggestions and demand forecasts, measured on the SYNTHETIC history (portal/synthetic_history.py).

Suggestions: train on the earlier months, then for each request of the later months ask each model for three
services given what that citizen completed in the window before, and count a hit when the service actually
requested is among them (hit@3). Models: the learned patterns (filled up with the training months' most
popular services when fewer than three apply), the life-event rules (services sharing a life event with what
the citizen completed, most popular first) and the most popular services; each never suggests what the citizen
already asked for in the window.
"""

import asyncio
import dataclasses
import json
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np

from bench.stats import percentile
from portal.synthetic_history import COMPLETED, PLANTED, PLANTED_SENSITIVE, History, generate, seeded_services
from services.requests.domain.mining import LOOKAHEAD, mine
from services.requests.domain.patterns import WINDOW_DAYS, by_reason, suggest

TEST_DAYS = 120
EVALUATED = 30_000
Model = Callable[[list[str]], list[str]]


@dataclass(frozen=True)
class SuggestionResult:
    requests: int
    train_requests: int
    mine_seconds: float
    patterns: int
    evaluated: int
    hits: dict[str, float]
    planted_found: int
    planted: int
    sensitive_leaked: int


def _seconds(history: History) -> np.ndarray:
    return (history.submitted - np.datetime64("1970-01-01", "s")).astype(np.int64)


def measure_suggestions(history: History | None = None, *, seed: int = 2026) -> SuggestionResult:
    history = history or generate(1_000_000, seed=seed)
    services = seeded_services()
    sensitive = {str(s["slug"]) for s in services if s.get("sensitive")}
    events = {str(s["slug"]): set(s.get("life_events", [])) for s in services}  # type: ignore[arg-type]
    seconds = _seconds(history)
    cut = int(seconds.max()) - TEST_DAYS * 86400
    done = history.status == COMPLETED
    train = done & (seconds < cut)
    started = time.perf_counter()
    patterns = mine(history.citizen[train], history.service[train], seconds[train], history.services,
                    sensitive=sensitive)
    mine_seconds = time.perf_counter() - started
    reasons = by_reason(patterns)
    popular = [history.services[i] for i in np.argsort(-np.bincount(history.service[seconds < cut]))]

    def most_popular(prior: list[str]) -> list[str]:
        return [s for s in popular if s not in prior][:3]

    def rules(prior: list[str]) -> list[str]:
        shared = set().union(*(events.get(s, set()) for s in prior))
        return [s for s in popular if s not in prior and events.get(s, set()) & shared][:3]

    def learned(prior: list[str]) -> list[str]:
        completed = [s for s in prior if not s.startswith("!")]
        picked = [x.service for x in suggest(completed, reasons, exclude=prior, sensitive=sensitive)]
        return (picked + [s for s in most_popular(prior) if s not in picked])[:3]

    models: dict[str, Model] = {"learned patterns": learned, "life-event rules": rules,
                                "most popular": most_popular}
    hits = Counter[str]()
    evaluated = 0
    order = np.lexsort((seconds, history.citizen))
    c, s, t, ok = history.citizen[order], history.service[order], seconds[order], done[order]
    rng = np.random.default_rng(seed)
    tests = np.flatnonzero(t >= cut)
    for i in rng.permutation(tests)[: EVALUATED * 3]:
        prior = []
        j = i - 1
        while j >= 0 and c[j] == c[i] and t[i] - t[j] <= WINDOW_DAYS * 86400 and i - j <= LOOKAHEAD:
            if ok[j]:
                prior.append(history.services[s[j]])
            j -= 1
        if not prior:
            continue
        evaluated += 1
        actual = history.services[s[i]]
        for name, model in models.items():
            hits[name] += actual in model(prior)
        if evaluated >= EVALUATED:
            break
    found = {(p.after, p.then) for p in patterns}
    return SuggestionResult(
        requests=len(history), train_requests=int(train.sum()), mine_seconds=mine_seconds, patterns=len(patterns),
        evaluated=evaluated, hits={name: hits[name] / evaluated for name in models},
        planted_found=sum((p.after, p.then) in found for p in PLANTED), planted=len(PLANTED),
        sensitive_leaked=sum(p.after in sensitive for p in patterns)
        + sum((p.after, p.then) in found for p in PLANTED_SENSITIVE))


def suggestions_report(result: SuggestionResult) -> str:
    rows = [f"  {name:<18} hit@3 {rate:6.1%}" for name, rate in result.hits.items()]
    learned, rules, popular = (result.hits[n] for n in ("learned patterns", "life-event rules", "most popular"))
    verdict = "holds" if learned > rules and learned > popular and result.planted_found == result.planted else \
        "DOES NOT HOLD"
    return "\n".join([
        f"Next-service suggestions on the synthetic history ({result.requests:,} requests; trained on "
        f"{result.train_requests:,} completed before the last {TEST_DAYS} days, mined in "
        f"{result.mine_seconds:.1f} s; {result.patterns} patterns ≥ 50 citizens)",
        f"  evaluated on {result.evaluated:,} later requests with a completed request in the "
        f"{WINDOW_DAYS} days before",
        *rows,
        f"  planted patterns recovered: {result.planted_found}/{result.planted}; patterns led by a sensitive "
        f"service: {result.sensitive_leaked}",
        f"  learned beats the rules and popularity on hit@3 and recovers every planted pattern: {verdict}",
    ])


@dataclass(frozen=True)
class StoreResult:
    rows: int
    load_seconds: float
    retrain_seconds: float
    patterns: int
    calls: int
    p50_ms: float
    p99_ms: float


def _record_json(seed: dict[str, object]) -> str:
    """The seeded service as the catalogue publishes it (a ServiceRecord)."""
    from shared.contracts.catalog import ServiceRecord

    names = {"ar": str(seed["ministry"]), "en": str(seed["ministry"])}
    record = ServiceRecord.model_validate(seed | {"version": 1, "ministry_name": names})
    return json.dumps(record.model_dump(mode="json"))


def _sqlite_time(values: np.ndarray) -> list[str | None]:
    return [None if v == "NaT" else v.replace("T", " ") + ".000000"
            for v in np.datetime_as_string(values, unit="s")]


async def _measure_store(history: History, directory: str) -> StoreResult:
    from bench.serving import served
    from services.requests.app import create_app
    from services.requests.config import Settings
    from services.requests.handlers.insights import retrain_now
    from services.requests.store import MIGRATIONS
    from services.requests.store.insights import APPROVED
    from shared.auth import Identity, IdentitySigner, generate_keypair
    from shared.db.migrate import upgrade

    private_key, public_key = generate_keypair()

    path = f"{directory}/requests.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(MIGRATIONS, url)
    started = time.perf_counter()
    services = seeded_services()
    ministry = {str(s["slug"]): str(s["ministry"]) for s in services}
    submitted = _sqlite_time(history.submitted)
    completed = _sqlite_time(history.completed)
    latest = str(np.datetime_as_string(history.submitted.max(), unit="s"))
    statuses = ("completed", "rejected", "cancelled")
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO requests (tracking_number, service, service_version, ministry, citizen, lang, status, "
            "fields, submitted_at, updated_at, due_on, completed_at) VALUES (?, ?, 1, ?, ?, 'ar', ?, '{}', ?, ?, ?, ?)",
            ((f"B-{i}", history.services[s], ministry[history.services[s]], str(10_000_000 + c), statuses[st],
              sub, sub, sub, done)
             for i, (s, c, st, sub, done) in enumerate(zip(history.service.tolist(), history.citizen.tolist(),
                                                           history.status.tolist(), submitted, completed,
                                                           strict=True))))
        for record in services:
            db.execute("INSERT INTO catalogue (slug, ministry, version, status, record) VALUES (?, ?, 1, "
                       "'published', ?)", (record["slug"], record["ministry"], _record_json(record)))
    load_seconds = time.perf_counter() - started
    clock = datetime.fromisoformat(latest).replace(tzinfo=UTC)
    settings = Settings(database_url=url, amqp_url="memory://bench-insights", insights_retrain_seconds=0,
                        renewal_scan_seconds=0, watch_seconds=0, identity_public_key=public_key)
    app = create_app(settings)
    async with served(app, startup_timeout=60):
        deps = dataclasses.replace(app.state.deps, clock=lambda: clock)
        app.state.deps = deps
        begun = time.perf_counter()
        run = await retrain_now(deps)
        retrain_seconds = time.perf_counter() - begun
        async with deps.uow() as uow:
            for row in await uow.insights.patterns():
                await uow.insights.decide(row.pattern.after, row.pattern.then, APPROVED, "bench", clock)
            await uow.commit()
        signer = IdentitySigner(private_key)
        rng = np.random.default_rng(7)
        recent = np.unique(history.citizen[history.submitted > history.submitted.max() - np.timedelta64(90, "D")])
        timings: list[float] = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for citizen in rng.choice(recent, 2000):
                headers = {"x-portal-identity": signer.sign(Identity(subject=str(10_000_000 + int(citizen)),
                                                                     role="citizen"))}
                begun = time.perf_counter()
                response = await client.get("/api/v1/me/suggestions", headers=headers)
                timings.append((time.perf_counter() - begun) * 1000)
                assert response.status_code == 200, response.text
    timings = timings[100:]
    return StoreResult(len(history), load_seconds, retrain_seconds, run.patterns, len(timings),
                       percentile(timings, 50), percentile(timings, 99))


async def measure_store(history: History) -> StoreResult:
    with tempfile.TemporaryDirectory() as directory:
        return await _measure_store(history, directory)


def store_report(result: StoreResult) -> str:
    return "\n".join([
        f"Learning in the requests service's store (SQLite, {result.rows:,} requests loaded in "
        f"{result.load_seconds:.0f} s)",
        f"  retrain as `portal insights retrain` does (mine every completed request, keep {result.patterns} "
        "patterns, then forecast each service's next eight weeks): "
        f"{result.retrain_seconds:.1f} s (target < 60 s)",
        f"  GET /api/v1/me/suggestions through the service's ASGI app, {result.calls:,} citizens: "
        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms (target p99 < 20 ms)",
    ])


@dataclass(frozen=True)
class ForecastResult:
    series: int
    seconds_per_fit: float
    mase: dict[str, float]
    covered: float


def measure_forecasts(history: History, origins: Sequence[int] = (8, 24, 40)) -> ForecastResult:
    """Back-test: forecast 8 weeks from several origins near the end of each service's weekly series."""
    from services.requests.domain.forecast import HORIZON, forecast, mase, recent_mean, seasonal_naive, week_of

    start = week_of(history.start)
    week = (history.submitted.astype("datetime64[D]") - np.datetime64(start)).astype(np.int64) // 7
    counts = np.zeros((len(history.services), int(week.max())), dtype=np.float64)
    full = week < counts.shape[1]
    np.add.at(counts, (history.service[full], week[full]), 1)
    weeks = [start + timedelta(weeks=i) for i in range(counts.shape[1])]
    scores: dict[str, list[float]] = {"forecast": [], "same week last year": [], "last 4 weeks' mean": []}
    inside = total = fits = 0
    began = time.perf_counter()
    for series in counts:
        if series.sum() < 500:
            continue
        for back in origins:
            origin = len(weeks) - back
            past, actual = series[:origin], series[origin:origin + HORIZON]
            predicted = forecast(weeks[:origin], past)
            fits += 1
            scores["forecast"].append(mase(actual, [p.expected for p in predicted], past))
            scores["same week last year"].append(mase(actual, seasonal_naive(past), past))
            scores["last 4 weeks' mean"].append(mase(actual, recent_mean(past), past))
            inside += sum(p.lower <= a <= p.upper for p, a in zip(predicted, actual, strict=True))
            total += len(actual)
    return ForecastResult(fits // len(origins), (time.perf_counter() - began) / fits,
                          {name: float(np.mean(values)) for name, values in scores.items()}, inside / total)


def forecasts_report(result: ForecastResult) -> str:
    model = result.mase["forecast"]
    verdict = "holds" if all(model < v for k, v in result.mase.items() if k != "forecast") else "DOES NOT HOLD"
    return "\n".join([
        f"Weekly demand forecast, back-tested on the synthetic history: {result.series} services, 8 weeks ahead "
        f"from 3 origins (statsmodels OLS, {result.seconds_per_fit * 1000:.0f} ms per fit)",
        *(f"  {name:<22} MASE {value:.3f}" for name, value in result.mase.items()),
        f"  actual weeks inside the 90% interval: {result.covered:.0%}",
        f"  forecast beats the seasonal-naive baselines: {verdict}",
    ])


def main(argv: Sequence[str] = ()) -> None:
    history = generate(1_000_000)
    print(suggestions_report(measure_suggestions(history)))
    print(forecasts_report(measure_forecasts(history)))
    print(store_report(asyncio.run(measure_store(history))))


if __name__ == "__main__":
    main()
