from datetime import UTC, date, datetime
from pathlib import Path

from shared.clock import in_muscat, local_day

ROOT = Path(__file__).resolve().parents[3]


def test_an_evening_in_utc_is_already_the_next_day_in_muscat() -> None:
    assert local_day(datetime(2026, 11, 17, 23, 30, tzinfo=UTC)) == date(2026, 11, 18)


def test_a_naive_stored_time_is_read_as_utc() -> None:
    assert in_muscat(datetime(2026, 11, 17, 20, 0)).hour == 0


def test_the_portal_names_its_time_zone_in_one_place() -> None:
    naming = sorted(str(path.relative_to(ROOT)) for folder in ("services", "shared", "portal", "ministry_sdk")
                    for path in (ROOT / folder).rglob("*.py") if '"Asia/Muscat"' in path.read_text(encoding="utf-8"))
    assert naming == ["shared/clock.py"]
