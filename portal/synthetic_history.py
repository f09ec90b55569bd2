"""A SYNTHETIC request history for training and evaluating the portal's learned suggestions and forecasts.

Nothing here is anyone's data: citizens are numbers, requests are drawn from a seeded random generator over
the seeded catalogue's services. What it holds, on purpose, so models have something true to find:
- each service's own popularity (Zipf-like), a gentle trend per service (growth or decline);
- the weekly cycle (Oman's Friday–Saturday weekend: few online requests, offices closed);
- the Hijri seasons: Ramadan slows most services, the fortnight before each Eid brings travel and family
  paperwork forward, the Eid holidays themselves are quiet; the school year moves education services;
- PLANTED next-service patterns (after A, a share of citizens request B within a delay), which evaluation
  must recover, beside random "noise" requests by the same citizens;
- over-dispersed daily counts (gamma-Poisson), requests that are rejected or cancelled, and citizens of
  very different activity.
The same seed gives the same history, byte for byte.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from services.requests.domain.seasons import before_eid, is_eid, is_ramadan

SEED_SERVICES = Path(__file__).parent / "seed" / "services"
COMPLETED, REJECTED, CANCELLED = 0, 1, 2
STATUSES = ("completed", "rejected", "cancelled")


@dataclass(frozen=True)
class Planted:
    after: str
    then: str
    share: float
    mean_days: float


# After A, this share of its citizens go on to request B, about mean_days later (all within 180 days).
PLANTED: tuple[Planted, ...] = (
    Planted("register-new-vehicle", "pay-traffic-fines", 0.30, 60),
    Planted("transfer-vehicle-ownership", "renew-vehicle-registration", 0.35, 20),
    Planted("issue-birth-certificate", "issue-renew-civil-id-card", 0.40, 30),
    Planted("document-marriage-contract", "apply-residential-land-plot", 0.25, 90),
    Planted("apply-residential-land-plot", "building-permit", 0.30, 100),
    Planted("building-permit", "building-completion-certificate", 0.40, 120),
    Planted("reserve-trade-name", "register-new-commercial-registration", 0.55, 10),
    Planted("register-new-commercial-registration", "issue-municipal-commercial-licence", 0.45, 25),
    Planted("issue-expatriate-work-permit", "expat-medical-fitness-examination", 0.50, 12),
    Planted("apply-undergraduate-admission-heac", "attest-higher-education-certificate", 0.20, 150),
    Planted("issue-first-driving-licence", "register-new-vehicle", 0.30, 70),
    Planted("police-clearance-certificate", "issue-renew-passport", 0.25, 20),
)
# Sensitive services lead to others too; learning must never use them as a reason.
PLANTED_SENSITIVE: tuple[Planted, ...] = (
    Planted("issue-disability-card", "disability-benefit", 0.60, 20),
    Planted("request-medical-report", "issue-disability-card", 0.25, 30),
)
SEASONAL_BEFORE_EID = {"issue-renew-passport", "family-visit-visa", "police-clearance-certificate",
                       "issue-renew-civil-id-card", "document-marriage-contract"}
SCHOOL_SEASON = {"register-grade-one-student", "transfer-student-between-schools",
                 "apply-undergraduate-admission-heac", "apply-government-scholarship"}


@dataclass(frozen=True)
class History:
    """One row per request, in submission order: arrays of equal length."""

    services: tuple[str, ...]
    citizen: npt.NDArray[np.int64]
    service: npt.NDArray[np.int64]
    submitted: npt.NDArray[np.datetime64]
    completed: npt.NDArray[np.datetime64]
    status: npt.NDArray[np.int8]
    start: date
    end: date

    def __len__(self) -> int:
        return len(self.citizen)


def seeded_services() -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for path in sorted(SEED_SERVICES.glob("*.json")):
        found += [s | {"ministry": path.stem} for s in json.loads(path.read_text())]
    return found


def _day_factors(days: list[date], slugs: list[str], rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Expected relative volume per day and service: weekday × season × trend × school year."""
    n_days = len(days)
    weekday = np.array([0.25 if d.weekday() in (4, 5) else 1.0 for d in days])   # Friday, Saturday
    ramadan = np.array([is_ramadan(d) for d in days])
    eid = np.array([is_eid(d) for d in days])
    pre_eid = np.array([before_eid(d) for d in days])
    school = np.array([d.month in (6, 7, 8) for d in days])
    t = np.arange(n_days) / 365.0
    trend = rng.normal(0.08, 0.12, len(slugs))
    factors = np.outer(weekday, np.ones(len(slugs)))
    factors *= np.exp(np.outer(t, trend))
    factors[ramadan] *= 0.7
    factors[eid] *= 0.15
    for j, slug in enumerate(slugs):
        if slug in SEASONAL_BEFORE_EID:
            factors[pre_eid, j] *= 1.9
        if slug in SCHOOL_SEASON:
            factors[school, j] *= 2.5
    return factors


def generate(requests: int = 1_000_000, *, seed: int = 2026, start: date = date(2023, 1, 1),
             years: int = 3) -> History:
    """About `requests` requests over `years` years from `start` (planted follow-ups included)."""
    rng = np.random.default_rng(seed)
    services = seeded_services()
    slugs = [str(s["slug"]) for s in services]
    index = {slug: i for i, slug in enumerate(slugs)}
    days = [start + timedelta(days=i) for i in range((date(start.year + years, 1, 1) - start).days)]
    popularity = 1.0 / np.arange(1, len(slugs) + 1) ** 0.9
    popularity = rng.permutation(popularity)
    rate = _day_factors(days, slugs, rng) * popularity
    # Planted follow-ups add about 12% on top of the spontaneous requests.
    rate *= requests / 1.12 / rate.sum()
    # Over-dispersed: each day's rate is itself uncertain (gamma with shape 8).
    counts = rng.poisson(rate * rng.gamma(8.0, 1 / 8.0, rate.shape))
    day_of, service_of = np.nonzero(counts)
    repeat = counts[day_of, service_of]
    day = np.repeat(day_of, repeat)
    service = np.repeat(service_of, repeat)
    seconds = rng.integers(7 * 3600, 22 * 3600, len(day))
    citizens = max(1000, requests // 5)
    # Some citizens ask for much more than others.
    activity = rng.pareto(1.6, citizens) + 1
    citizen = rng.choice(citizens, len(day), p=activity / activity.sum())
    origin = np.datetime64(start, "s")
    submitted = origin + (day * 86400 + seconds).astype("timedelta64[s]")
    follow_citizen, follow_service, follow_at = [citizen], [service], [submitted]
    for rule in PLANTED + PLANTED_SENSITIVE:
        if rule.after not in index or rule.then not in index:
            continue
        lead = np.flatnonzero(service == index[rule.after])
        lead = lead[rng.random(len(lead)) < rule.share]
        delay = np.minimum(rng.gamma(3.0, rule.mean_days / 3.0, len(lead)), 175.0)
        follow_citizen.append(citizen[lead])
        follow_service.append(np.full(len(lead), index[rule.then]))
        follow_at.append(submitted[lead] + (delay * 86400).astype("timedelta64[s]"))
    citizen = np.concatenate(follow_citizen)
    service = np.concatenate(follow_service)
    submitted = np.concatenate(follow_at)
    end = np.datetime64(date(start.year + years, 1, 1), "s")
    keep = submitted < end
    order = np.argsort(submitted[keep], kind="stable")
    citizen, service, submitted = citizen[keep][order], service[keep][order], submitted[keep][order]
    status = rng.choice(3, len(citizen), p=[0.9, 0.07, 0.03]).astype(np.int8)
    took = (rng.gamma(2.0, 2.5, len(citizen)) * 86400).astype("timedelta64[s]")
    completed = np.where(status == COMPLETED, submitted + took, np.datetime64("NaT"))
    return History(tuple(slugs), citizen.astype(np.int64), service.astype(np.int64), submitted,
                   completed.astype("datetime64[s]"), status, start, date(start.year + years, 1, 1))
