"""The KPI definitions on small hand-checked cases."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from services.requests.domain.kpis import (
    ChannelFacts,
    Costs,
    Facts,
    Period,
    RatingFacts,
    RequestFacts,
    compute,
    group,
    nearest_rank,
    rate,
)
from services.requests.store.kpi_rollups import merged, pack, pack_dense, unpack, unpack_dense

JANUARY = Period(date(2026, 1, 1), date(2026, 1, 31))
START = datetime(2026, 1, 5, 8, tzinfo=UTC)


def create_request(status: str = "completed", days: float | None = 2.0, service: str = "s", ministry: str = "m",
                   submitted_at: datetime = START, late: bool = False) -> RequestFacts:
    done = submitted_at + timedelta(days=days) if days is not None else None
    decided = done - timedelta(hours=1) if done is not None else None
    due = (decided + timedelta(hours=-1 if late else 1)) if decided is not None else submitted_at + timedelta(days=3)
    return RequestFacts(service, ministry, status, submitted_at, due, decided, done)


def test_an_empty_period_gives_zero_counts_and_no_rates() -> None:
    kpis = compute(Facts(), {}, JANUARY)
    assert (kpis.started, kpis.completion_rate, kpis.median_processing_days, kpis.sla_met_rate,
            kpis.digital_take_up, kpis.cost_per_transaction_omr) == (0, None, None, None, None, None)
    assert kpis.satisfaction.responses == 0 and kpis.satisfaction.csat is None


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two_and_p90_is_a_nearest_rank() -> None:
    facts = Facts(requests=[create_request(days=d) for d in (1.0, 2.0, 4.0, 10.0)])
    kpis = compute(facts, {}, JANUARY)
    assert (kpis.median_processing_days, kpis.p90_processing_days) == (3.0, 10.0)
    assert nearest_rank([float(n) for n in range(1, 21)], 90) == 18.0


def test_a_rate_is_given_to_four_places_with_a_half_rounded_up() -> None:
    assert [rate(2469, 20_000), rate(2471, 20_000), rate(1, 3), rate(2, 3), rate(7, 7), rate(0, 5), rate(1, 0)] == \
        [0.1235, 0.1236, 0.3333, 0.6667, 1.0, 0.0, None]


def test_completion_rate_counts_only_requests_started_in_the_period() -> None:
    before = START - timedelta(days=30)
    facts = Facts(requests=[create_request(), create_request(status="cancelled", days=None),
                            create_request(status="in_review", days=None),
                            create_request(status="cancelled", days=None, submitted_at=before)])
    kpis = compute(facts, {}, JANUARY)
    assert (kpis.started, kpis.completed, kpis.cancelled, kpis.completion_rate) == (3, 1, 1, 0.5)


def test_sla_counts_decisions_made_on_or_before_the_due_date() -> None:
    kpis = compute(Facts(requests=[create_request(), create_request(late=True), create_request(late=True)]), {},
                   JANUARY)
    assert kpis.sla_met_rate == 0.3333


def test_satisfaction_counts_ratings_given_in_the_period() -> None:
    ratings = [RatingFacts("s", "m", score, START) for score in (5, 4, 2)] + [
        RatingFacts("s", "m", 1, datetime(2026, 2, 1, tzinfo=UTC))]
    kpis = compute(Facts(ratings=ratings), {}, JANUARY)
    assert (kpis.satisfaction.responses, kpis.satisfaction.csat, kpis.satisfaction.mean_score) == (3, 0.6667, 3.67)


def test_costs_blend_online_and_other_channels_and_savings_count_online_only() -> None:
    facts = Facts(requests=[create_request(), create_request()],
                  channels=[ChannelFacts("s", "m", date(2026, 1, 1), 8), ChannelFacts("s", "m", date(2026, 2, 1), 50)])
    kpis = compute(facts, {"s": Costs(manual=Decimal("4.000"), digital=Decimal("0.500"))}, JANUARY)
    assert (kpis.online_completed, kpis.other_channel_completed, kpis.digital_take_up) == (2, 8, 0.2)
    assert (kpis.cost_per_transaction_omr, kpis.estimated_saving_omr) == ("3.300", "7.000")


def test_a_digital_channel_dearer_than_the_manual_one_saves_nothing() -> None:
    kpis = compute(Facts(requests=[create_request()]), {"s": Costs(Decimal("1"), Decimal("2"))}, JANUARY)
    assert (kpis.cost_per_transaction_omr, kpis.estimated_saving_omr) == ("2.000", "0.000")


def test_grouping_keeps_an_entry_for_a_service_without_any_activity() -> None:
    groups = group(Facts(requests=[create_request(service="a")]), "service", ["a", "b"])
    assert sorted(groups) == ["a", "b"] and groups["b"].requests == []


def test_a_processing_time_histogram_is_stored_as_little_endian_pairs_and_summed_back_over_a_period() -> None:
    packed = pack({3: 2, 1: 5, 7: 0})
    assert packed == bytes.fromhex("01000000" "05000000" "03000000" "02000000"), "the daily rollup's stored format"
    assert unpack(packed) == {1: 5, 3: 2}
    assert pack({}) is None and unpack(None) == {}
    # A month less the days outside the period, as `sums_of` reads them.
    month, outside = [pack({1: 5, 3: 2}), pack({3: 1, 4: 6})], [pack({4: 2})]
    assert merged([], [p for p in month if p], [p for p in outside if p]) == [0, 5, 0, 3, 4]


def test_a_months_histogram_is_stored_as_a_count_per_bucket_and_months_add_up_bucket_by_bucket() -> None:
    packed = pack_dense({2: 3, 0: 1, 5: 0})
    assert packed == bytes.fromhex("0100000000000000" "0000000000000000" "0300000000000000"), "the monthly format"
    assert unpack_dense(packed) == {0: 1, 2: 3}
    assert pack_dense({}) is None and pack_dense({4: 0}) is None and unpack_dense(None) == {}
    # Counts far past 32 bits do not spill into the next bucket; days on either side are added or taken away.
    big = 2**40 + 7
    months = [pack_dense({0: big, 1: 2**32 - 1, 3: 1}), pack_dense({1: 1, 6: 2})]
    days, less = [pack({7: 4})], [pack({3: 1, 6: 1})]
    assert merged([m for m in months if m], [d for d in days if d], [d for d in less if d]) == [
        big, 2**32, 0, 0, 0, 0, 1, 4]
    assert merged([]) == []


def test_a_months_count_below_zero_is_kept_as_zero() -> None:
    assert unpack_dense(pack_dense({1: -2, 2: 5})) == {2: 5}
