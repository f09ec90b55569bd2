from datetime import UTC, datetime

from services.requests.store import UNASSIGNED, QueueCounts, QueueFilter

COUNTS = QueueCounts(per_status={"submitted": 4, "in_review": 3, "completed": 5}, overdue=2, assigned_to_me=1,
                     unassigned=9)
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_tab_whose_count_is_already_known_needs_no_second_count() -> None:
    assert COUNTS.total_for(QueueFilter("mosd"), "officer-1") == 12
    assert COUNTS.total_for(QueueFilter("mosd", status="in_review"), "officer-1") == 3
    assert COUNTS.total_for(QueueFilter("mosd", status="approved"), "officer-1") == 0
    assert COUNTS.total_for(QueueFilter("mosd", overdue_at=NOW), "officer-1") == 2
    assert COUNTS.total_for(QueueFilter("mosd", assignee="officer-1"), "officer-1") == 1
    assert COUNTS.total_for(QueueFilter("mosd", assignee=UNASSIGNED), "officer-1") == 9


def test_combined_filters_or_another_officers_requests_are_counted_afresh() -> None:
    assert COUNTS.total_for(QueueFilter("mosd", status="submitted", assignee=UNASSIGNED), "officer-1") is None
    assert COUNTS.total_for(QueueFilter("mosd", status="submitted", overdue_at=NOW), "officer-1") is None
    assert COUNTS.total_for(QueueFilter("mosd", assignee="officer-2"), "officer-1") is None


def test_the_whole_queue_past_the_limit_reads_the_limit_and_below_it_the_exact_sum() -> None:
    capped = QueueCounts(per_status={"submitted": 10, "in_review": 4}, overdue=0, assigned_to_me=0, unassigned=10,
                         limit=10)
    below = QueueCounts(per_status={"submitted": 5, "in_review": 4}, overdue=0, assigned_to_me=0, unassigned=9,
                        limit=10)

    assert capped.total_for(QueueFilter("mosd"), "officer-1") == 10
    assert below.total_for(QueueFilter("mosd"), "officer-1") == 9
