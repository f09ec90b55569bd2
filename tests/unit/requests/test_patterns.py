import numpy as np
import pytest

from services.requests.domain.mining import mine
from services.requests.domain.patterns import Pattern, Thresholds, by_reason, reason, suggest

SERVICES = ["register-new-vehicle", "pay-traffic-fines", "request-medical-report", "issue-disability-card",
            "renew-driving-licence"]
DAY = 86400


def create_history(rows: list[tuple[int, str, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    citizen = np.array([r[0] for r in rows], dtype=np.int64)
    service = np.array([SERVICES.index(r[1]) for r in rows], dtype=np.int64)
    seconds = np.array([r[2] * DAY for r in rows], dtype=np.int64)
    return citizen, service, seconds


def create_followers(first: int, count: int, after: str, then: str, gap_days: int = 30) -> list[tuple[int, str, int]]:
    return [row for c in range(first, first + count) for row in ((c, after, 10), (c, then, 10 + gap_days))]


def test_a_pair_followed_by_enough_citizens_becomes_a_pattern_with_its_figures() -> None:
    rows = create_followers(0, 60, "register-new-vehicle", "pay-traffic-fines")
    rows += [(c, "register-new-vehicle", 5) for c in range(60, 100)]
    rows += [(c, "renew-driving-licence", 5) for c in range(100, 200)]
    patterns = mine(*create_history(rows), SERVICES, min_citizens=50)
    assert [(p.after, p.then) for p in patterns] == [("register-new-vehicle", "pay-traffic-fines")]
    found = patterns[0]
    assert found.citizens == 60
    assert found.confidence == 60 / 100
    assert found.support == 60 / 200
    assert abs(found.lift - (60 / 100) / (60 / 200)) < 1e-9


def test_a_pattern_supported_by_fewer_citizens_than_the_threshold_is_not_kept() -> None:
    rows = create_followers(0, 49, "register-new-vehicle", "pay-traffic-fines")
    rows += [(c, "renew-driving-licence", 5) for c in range(49, 300)]
    assert mine(*create_history(rows), SERVICES, min_citizens=50) == []
    assert len(mine(*create_history(rows), SERVICES, min_citizens=49)) == 1


def test_one_citizen_repeating_a_pair_counts_once_towards_the_threshold() -> None:
    rows = [row for i in range(100) for row in ((7, "register-new-vehicle", i * 200),
                                                 (7, "pay-traffic-fines", i * 200 + 1))]
    rows += [(c, "renew-driving-licence", 5) for c in range(100, 300)]
    assert mine(*create_history(rows), SERVICES, min_citizens=2) == []


def test_requests_further_apart_than_the_window_make_no_pattern() -> None:
    rows = create_followers(0, 60, "register-new-vehicle", "pay-traffic-fines", gap_days=200)
    rows += [(c, "renew-driving-licence", 5) for c in range(60, 300)]
    assert mine(*create_history(rows), SERVICES, min_citizens=50, window_days=180) == []


def test_a_sensitive_service_is_never_kept_as_the_reason_of_a_pattern() -> None:
    rows = create_followers(0, 80, "request-medical-report", "issue-disability-card")
    rows += create_followers(100, 80, "register-new-vehicle", "issue-disability-card")
    rows += [(c, "renew-driving-licence", 5) for c in range(200, 600)]
    patterns = mine(*create_history(rows), SERVICES, min_citizens=50, sensitive={"request-medical-report"})
    assert [(p.after, p.then) for p in patterns] == [("register-new-vehicle", "issue-disability-card")]


def create_pattern(after: str, then: str, confidence: float, lift: float = 3.0, citizens: int = 100) -> Pattern:
    return Pattern(after, then, citizens, 0.01, confidence, lift)


def test_suggestions_follow_the_most_confident_pattern_and_skip_what_the_citizen_already_asked_for() -> None:
    patterns = by_reason([create_pattern("a", "b", 0.2), create_pattern("a", "c", 0.5), create_pattern("x", "b", 0.6),
                          create_pattern("a", "x", 0.9), create_pattern("a", "d", 0.1), create_pattern("a", "e", 0.05)])
    picked = suggest(["a", "x"], patterns)
    assert [s.service for s in picked] == ["b", "c", "d"]
    assert picked[0].because.after == "x"


def test_a_dismissed_service_is_not_suggested_again() -> None:
    patterns = by_reason([create_pattern("a", "b", 0.5), create_pattern("a", "c", 0.4)])
    assert [s.service for s in suggest(["a"], patterns, exclude={"b"})] == ["c"]


def test_a_service_flagged_sensitive_after_training_is_not_used_as_a_reason() -> None:
    patterns = by_reason([create_pattern("a", "b", 0.5)])
    assert suggest(["a"], patterns, sensitive={"a"}) == []


def test_auto_approval_needs_every_threshold_staff_set() -> None:
    bar = Thresholds(min_citizens=200, min_confidence=0.2, min_lift=2.0)
    assert bar.met_by(create_pattern("a", "b", 0.3, lift=2.5, citizens=250))
    assert not bar.met_by(create_pattern("a", "b", 0.3, lift=2.5, citizens=150))
    assert not bar.met_by(create_pattern("a", "b", 0.1, lift=2.5, citizens=250))
    assert not bar.met_by(create_pattern("a", "b", 0.3, lift=1.5, citizens=250))


def test_the_reason_names_the_service_and_the_share_in_the_citizens_language() -> None:
    pattern = create_pattern("register-new-vehicle", "pay-traffic-fines", 0.42)
    assert reason(pattern, "Register a new vehicle", "en").startswith("42% of people who completed “Register a new")
    arabic = reason(pattern, "تسجيل مركبة جديدة", "ar")
    assert "٪" in arabic and "«تسجيل مركبة جديدة»" in arabic


@pytest.mark.parametrize(("days", "arabic", "english"), [
    (1, "خلال يوم واحد.", "within 1 day."), (2, "خلال يومين.", "within 2 days."), (3, "خلال 3 أيام.", "within 3 days."),
    (90, "خلال 90 يومًا.", "within 90 days."), (100, "خلال 100 يوم.", "within 100 days."),
    (180, "خلال 180 يومًا.", "within 180 days."), (365, "خلال 365 يومًا.", "within 365 days.")])
def test_the_reasons_window_takes_the_plural_form_its_number_of_days_needs(days: int, arabic: str, english: str
                                                                           ) -> None:
    pattern = create_pattern("register-new-vehicle", "pay-traffic-fines", 0.42)
    assert reason(pattern, "تسجيل مركبة جديدة", "ar", days).endswith(arabic)
    assert reason(pattern, "Register a new vehicle", "en", days).endswith(english)
