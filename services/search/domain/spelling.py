"""Spelling correction for "did you mean": the closest word the index knows, shown as services write it.

Candidates come from a deletion index (SymSpell): each known word is filed under itself and every
form with as many letters deleted as a typo of its length may cost, so a typed word finds its
neighbours by looking up its own deletions instead of comparing itself with the whole vocabulary.
"""

from collections.abc import Mapping

from services.search.domain.analysis import normalise
from services.search.domain.queries import edits_allowed


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _within(word: str, edits: int) -> set[str]:
    """The word and every form of it with up to `edits` letters deleted."""
    found, frontier = {word}, {word}
    for _ in range(edits):
        frontier = {shorter for form in frontier for shorter in _deletions(form)}
        found |= frontier
    return found


def edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein (optimal string alignment): a swap of two neighbouring letters is one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


class Vocabulary:
    """Known words: normalised form → (how services most often write it, in how many services)."""

    def __init__(self, written_counts: Mapping[str, int]) -> None:
        self._words: dict[str, tuple[str, int]] = {}
        for written, count in written_counts.items():
            normal = normalise(written)
            best = self._words.get(normal)
            total = count + (best[1] if best else 0)
            shown = written if best is None or count > best[1] else best[0]
            self._words[normal] = (shown, total)
        self._near: dict[str, set[str]] = {}
        for normal in self._words:
            for key in _within(normal, edits_allowed(normal)):
                self._near.setdefault(key, set()).add(normal)

    def __contains__(self, normalised: str) -> bool:
        return normalised in self._words

    def correct(self, normalised: str) -> str | None:
        """The known word closest to a normalised word (fewest edits, then most used), or None."""
        allowed = edits_allowed(normalised)
        if not allowed or normalised in self._words:
            return None
        candidates = {found for key in _within(normalised, allowed) for found in self._near.get(key, ())}
        scored = [(distance, -self._words[c][1], c) for c in candidates
                  if (distance := edit_distance(normalised, c)) <= allowed]
        return self._words[min(scored)[2]][0] if scored else None

