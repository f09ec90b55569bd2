import numpy as np

from portal.synthetic_history import PLANTED, generate


def test_the_same_seed_gives_the_same_history_and_another_seed_another() -> None:
    first, again, other = generate(20_000, seed=1), generate(20_000, seed=1), generate(20_000, seed=2)
    assert np.array_equal(first.citizen, again.citizen) and np.array_equal(first.submitted, again.submitted)
    assert not np.array_equal(first.citizen, other.citizen)
    assert 15_000 < len(first) < 25_000


def test_the_history_holds_the_planted_follow_ups_and_the_weekend_lull() -> None:
    history = generate(50_000, seed=3)
    index = {slug: i for i, slug in enumerate(history.services)}
    rule = PLANTED[0]
    leads = set(history.citizen[history.service == index[rule.after]].tolist())
    follows = set(history.citizen[history.service == index[rule.then]].tolist())
    assert len(leads & follows) > 0.2 * len(leads)
    weekday = (history.submitted.astype("datetime64[D]").astype(np.int64) + 3) % 7  # Monday = 0
    friday_saturday = np.isin(weekday, (4, 5)).sum()
    assert friday_saturday < 0.5 * len(history) * 2 / 7
