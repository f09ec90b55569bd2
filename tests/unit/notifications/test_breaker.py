"""A breaker per provider: it opens after failures in a row, lets one probe through later, and closes on success."""

import pytest

from shared.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def create_breaker(clock: Clock, threshold: int = 3, reset: float = 30.0) -> CircuitBreaker:
    return CircuitBreaker("smtp-test", failure_threshold=threshold, reset_seconds=reset, clock=clock)


def test_a_provider_that_keeps_failing_is_left_alone_after_the_threshold(clock: Clock) -> None:
    breaker = create_breaker(clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.failed()

    assert breaker.state == "open"
    assert not breaker.allow()
    assert breaker.retry_in() == 30.0
    assert breaker.trips == 1


def test_a_success_between_failures_starts_the_count_again(clock: Clock) -> None:
    breaker = create_breaker(clock)
    breaker.failed()
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    breaker.failed()

    assert breaker.state == "closed"


def test_after_the_reset_time_exactly_one_probe_goes_through(clock: Clock) -> None:
    breaker = create_breaker(clock, threshold=1)
    breaker.failed()
    clock.now += 29.9
    assert not breaker.allow()
    clock.now += 0.1

    assert breaker.state == "half_open"
    assert breaker.allow()
    assert not breaker.allow()
    assert not breaker.allow()


def test_a_probe_that_succeeds_closes_the_breaker(clock: Clock) -> None:
    breaker = create_breaker(clock, threshold=1)
    breaker.failed()
    clock.now += 30
    breaker.allow()
    breaker.succeeded()

    assert breaker.state == "closed"
    assert breaker.allow() and breaker.allow()


def test_a_probe_that_fails_opens_the_breaker_for_another_full_wait(clock: Clock) -> None:
    breaker = create_breaker(clock, threshold=1)
    breaker.failed()
    clock.now += 30
    breaker.allow()
    breaker.failed()

    assert breaker.state == "open"
    assert breaker.retry_in() == 30.0
    assert breaker.trips == 2


def test_a_probe_cut_short_lets_the_next_call_probe_instead(clock: Clock) -> None:
    breaker = create_breaker(clock, threshold=1)
    breaker.failed()
    clock.now += 30
    assert breaker.allow()
    breaker.abandon()

    assert breaker.allow()


def test_a_breaker_needs_a_sensible_threshold_and_wait(clock: Clock) -> None:
    with pytest.raises(ValueError, match="threshold"):
        create_breaker(clock, threshold=0)
    with pytest.raises(ValueError, match="reset"):
        create_breaker(clock, reset=0)
