"""The query-understanding lexicon, read once from its reviewed data file (services/search/data/)."""

import json
from functools import cache
from pathlib import Path

from services.search.domain.understanding import Lexicon

LEXICON_FILE = Path(__file__).parent / "data" / "lexicon.json"


def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    return _load(str(path))


@cache
def _load(path: str) -> Lexicon:
    return Lexicon(json.loads(Path(path).read_text(encoding="utf-8")))
