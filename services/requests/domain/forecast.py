"""Each service's weekly demand for the next weeks, with an interval. No I/O.

Weeks run Sunday to Saturday (Oman's working week). What moves a week's volume, as regressors: its working days
(the weekly cycle seen at weekly grain — Friday and Saturday off — and public holidays, the Eids among them),
its Ramadan days, the days of the fortnight before an Eid, and the time of the Gregorian year (two Fourier
pairs: the school year). The model is a linear regression (statsmodels OLS) of log(1 + volume) on those regressors and a
linear trend; its intervals are the regression's prediction intervals. statsmodels' SARIMAX with AR(1) errors
scored about the same on the back-test but cost seconds per service here, against milliseconds.
"""

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import numpy as np
import numpy.typing as npt

from services.requests.domain.seasons import before_eid, is_eid, is_ramadan

HORIZON = 8
MIN_WEEKS = 60
INTERVAL = 0.9
Floats = npt.NDArray[np.float64]


def week_of(day: date) -> date:
    """The Sunday that starts the day's week."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _public_holidays(years: Sequence[int]) -> set[date]:
    return set(holidays.country_holidays("OM", years=list(years)))


def features(weeks: Sequence[date]) -> Floats:
    """One row per week: working days, Ramadan days, days before an Eid, Eid days, and the year's Fourier terms."""
    off = _public_holidays(sorted({w.year for w in weeks} | {(w + timedelta(days=6)).year for w in weeks}))
    rows = []
    for start in weeks:
        days = [start + timedelta(days=i) for i in range(7)]
        working = sum(d.weekday() not in (4, 5) and d not in off for d in days)
        angle = 2 * math.pi * start.timetuple().tm_yday / 365.25
        rows.append([working, sum(map(is_ramadan, days)), sum(map(before_eid, days)), sum(map(is_eid, days)),
                     math.sin(angle), math.cos(angle), math.sin(2 * angle), math.cos(2 * angle)])
    return np.array(rows, dtype=np.float64)


@dataclass(frozen=True)
class WeekForecast:
    week: date
    expected: float
    lower: float
    upper: float


def forecast(weeks: Sequence[date], volumes: Sequence[float], horizon: int = HORIZON) -> list[WeekForecast]:
    """The next `horizon` weeks after `weeks` (consecutive Sundays) with their `volumes`."""
    from statsmodels.regression.linear_model import OLS  # heavy (scipy): imported only where a forecast is made

    ahead = [weeks[-1] + timedelta(weeks=i + 1) for i in range(horizon)]
    past, future = features(weeks), features(ahead)
    scale = past.std(axis=0)
    scale[scale == 0] = 1.0
    centre = past.mean(axis=0)
    y = np.log1p(np.asarray(volumes, dtype=np.float64))
    trend = np.arange(len(weeks) + horizon, dtype=np.float64) / 52
    design = np.column_stack([np.ones(len(weeks)), trend[:len(weeks)], (past - centre) / scale])
    ahead_design = np.column_stack([np.ones(horizon), trend[len(weeks):], (future - centre) / scale])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = OLS(y, design).fit().get_prediction(ahead_design)
    frame = predicted.summary_frame(alpha=1 - INTERVAL)
    mean = frame["mean"].to_numpy()
    bounds = frame[["obs_ci_lower", "obs_ci_upper"]].to_numpy()
    return [WeekForecast(week, max(0.0, float(np.expm1(m))), max(0.0, float(np.expm1(lo))),
                         max(0.0, float(np.expm1(hi))))
            for week, m, lo, hi in zip(ahead, mean, bounds[:, 0], bounds[:, 1], strict=True)]


def weekly_volumes(days: Sequence[date], before: date) -> tuple[list[date], list[float]]:
    """Requests per week, from the week of the first one to the last whole week before `before` (a week's
    start); weeks without a request count zero."""
    first = week_of(min(days)) if days else before
    weeks = [first + timedelta(weeks=i) for i in range(max(0, (before - first).days // 7))]
    counts = dict.fromkeys(weeks, 0.0)
    for day in days:
        start = week_of(day)
        if start in counts:
            counts[start] += 1
    return weeks, [counts[w] for w in weeks]


def seasonal_naive(volumes: Sequence[float], horizon: int = HORIZON, season: int = 52) -> list[float]:
    """Same week last year."""
    return [float(volumes[len(volumes) - season + i]) for i in range(horizon)]


def recent_mean(volumes: Sequence[float], horizon: int = HORIZON, weeks: int = 4) -> list[float]:
    """The last four weeks' mean, for every week ahead."""
    return [float(np.mean(volumes[-weeks:]))] * horizon


def mase(actual: Sequence[float], predicted: Sequence[float], history: Sequence[float], season: int = 52) -> float:
    """Mean absolute error scaled by the in-sample error of the same-week-last-year forecast."""
    past = np.asarray(history, dtype=np.float64)
    scale = float(np.mean(np.abs(past[season:] - past[:-season])))
    error = float(np.mean(np.abs(np.asarray(actual, dtype=np.float64) - np.asarray(predicted, dtype=np.float64))))
    return error / scale if scale else math.inf
