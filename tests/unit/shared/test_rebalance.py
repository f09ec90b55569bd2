"""After a node returns, clients are spread again: only the busiest nodes' excess connections are closed."""

from shared.bus.rebalance import connections_to_close


def test_the_busiest_node_sheds_what_it_holds_beyond_a_fair_share() -> None:
    per_node = {"a": [f"a{n}" for n in range(8)], "b": ["b0"]}
    closed = connections_to_close(per_node, ["a", "b", "c"])
    assert len(closed) == 5
    assert all(name.startswith("a") for name in closed)


def test_balanced_nodes_and_nodes_that_are_down_are_left_alone() -> None:
    assert connections_to_close({"a": ["a0", "a1"], "b": ["b0", "b1"], "c": ["c0"]}, ["a", "b", "c"]) == []
    assert connections_to_close({"gone": ["g0", "g1", "g2"]}, ["a", "b"]) == []
    assert connections_to_close({}, []) == []
