from datetime import date, timedelta

import numpy as np

from services.requests.domain.forecast import features, forecast, mase, seasonal_naive, week_of, weekly_volumes

WORKING, RAMADAN, BEFORE_EID, EID = 0, 1, 2, 3


def test_weeks_start_on_sunday_the_first_working_day() -> None:
    assert week_of(date(2025, 3, 6)) == date(2025, 3, 2)
    assert week_of(date(2025, 3, 2)) == date(2025, 3, 2)


def test_a_plain_week_has_five_working_days_and_no_season() -> None:
    row = features([date(2025, 10, 5)])[0]
    assert row[WORKING] == 5 and row[RAMADAN] == 0 and row[EID] == 0


def test_ramadan_and_the_eids_move_with_the_hijri_calendar() -> None:
    ramadan_2025, ramadan_2026 = features([date(2025, 3, 9)])[0], features([date(2026, 2, 22)])[0]
    assert ramadan_2025[RAMADAN] == 7 and ramadan_2026[RAMADAN] == 7
    eid_week = features([date(2025, 3, 30)])[0]
    assert eid_week[EID] >= 3 and eid_week[WORKING] < 5
    assert features([date(2025, 3, 16)])[0][BEFORE_EID] == 7
    assert features([date(2026, 3, 1)])[0][EID] == 0


def test_the_forecast_follows_a_trend_and_a_ramadan_lull_and_beats_last_years_week() -> None:
    weeks = [date(2022, 1, 2) + timedelta(weeks=i) for i in range(120)]
    rows = features(weeks + [weeks[-1] + timedelta(weeks=i + 1) for i in range(8)])
    rng = np.random.default_rng(1)
    volume = 200 * np.exp(0.004 * np.arange(128)) * (1 - 0.04 * rows[:, RAMADAN]) * rng.gamma(50, 1 / 50, 128)
    ahead = forecast(weeks, volume[:120].tolist())
    assert [w.week for w in ahead] == [weeks[-1] + timedelta(weeks=i + 1) for i in range(8)]
    assert all(w.lower <= w.expected <= w.upper for w in ahead)
    actual = volume[120:]
    assert mase(actual, [w.expected for w in ahead], volume[:120]) < mase(actual, seasonal_naive(volume[:120]),
                                                                        volume[:120])


def test_weekly_volumes_count_each_sunday_to_saturday_week_with_quiet_weeks_as_zero_and_no_partial_week() -> None:
    days = [date(2026, 1, 4), date(2026, 1, 10), date(2026, 1, 21), date(2026, 2, 1)]  # Sun, Sat, Wed, Sun
    weeks, volumes = weekly_volumes(days, before=date(2026, 2, 1))

    assert weeks == [date(2026, 1, 4), date(2026, 1, 11), date(2026, 1, 18), date(2026, 1, 25)]
    assert volumes == [2, 0, 1, 0], "the week under way (from 1 February) is left out"
