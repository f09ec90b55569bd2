"""What the citizen wants done (renew, replace, pay, register…), read from the concepts a text holds.

A query's intents prefer services of the same kind: "lost my licence" wants the replacement service,
not the renewal one, though both are about driving licences. A service's intents come from its title
alone: its description mentions many actions in passing ("renew it before it expires").
"""

from collections.abc import Iterable

from services.search.domain.understanding.lexicon import Lexicon

# A more specific intent implies a general one, which then says nothing more: a replacement or a renewal
# is also "a new one" ("my licence is damaged, I want a new one" wants the replacement service).
IMPLIED = {"replace": frozenset({"new"}), "renew": frozenset({"new"})}


def intents_of(concept_ids: Iterable[str], lexicon: Lexicon) -> tuple[str, ...]:
    actions = {c for c in set(concept_ids) if c in lexicon.concepts and lexicon.concepts[c].is_action}
    implied = {general for specific in actions for general in IMPLIED.get(specific, ())}
    return tuple(sorted(actions - implied))


def subjects_of(concept_ids: Iterable[str], lexicon: Lexicon) -> tuple[str, ...]:
    return tuple(sorted(c for c in set(concept_ids) if c in lexicon.concepts and not lexicon.concepts[c].is_action))
