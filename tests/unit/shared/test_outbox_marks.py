"""How the relay groups the rows the broker confirmed for marking them sent (no I/O)."""

from shared.db.outbox import runs


def test_confirmed_rows_are_marked_as_runs_of_consecutive_positions_never_spanning_an_unconfirmed_one() -> None:
    assert runs([3, 4, 5, 9, 11, 12]) == [(3, 5), (9, 9), (11, 12)]


def test_a_lone_confirmed_row_is_a_run_of_its_own_and_no_rows_no_run() -> None:
    assert runs([7]) == [(7, 7)]
    assert runs([]) == []
