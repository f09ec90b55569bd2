"""The portal's gettext domains, the keys their code uses, and `make i18n` (`python -m portal.i18n`).

Babel extracts the message keys each domain's templates and code use (the domain's mapping file,
`<service>/locale/<domain>.cfg`); `make i18n` adds the new ones to every language's `.po`, untranslated, for a
person to write. It does not use `pybabel update`: that retires every key the code builds at run time
(`'status_' ~ status`), which extraction cannot see, and they are most of the catalogue.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from shared.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
# `text(translations, key, ...)` is Python code's way to a message (shared/i18n.py).
KEYWORDS = {**DEFAULT_KEYWORDS, "text": (2,)}


@dataclass(frozen=True)
class Domain:
    service: str
    name: str
    # Keys this domain does not have are looked up there (the workspace says most things as the citizen UI does).
    falls_back_to: str | None = None

    @property
    def root(self) -> Path:
        return ROOT / self.service

    def po(self, lang: str) -> Path:
        return self.root / "locale" / lang / "LC_MESSAGES" / f"{self.name}.po"


DOMAINS = (Domain("services/gateway", "ui"), Domain("services/gateway", "workspace", falls_back_to="ui"),
           Domain("services/notifications", "notifications"), Domain("services/requests", "requests"))


@dataclass(frozen=True)
class Use:
    key: str
    plural: bool
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def uses(domain: Domain) -> Iterator[Use]:
    """Every literal key the domain's templates and code pass to `_`, `gettext`, `ngettext`, `text`…"""
    with (domain.root / "locale" / f"{domain.name}.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)  # type: ignore[no-untyped-call]
    for filename, line, message, _comments, _context in extract_from_dir(
            domain.root, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            yield Use(key, isinstance(message, tuple), f"{domain.service}/{filename}", line)


def read(path: Path) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp)


def write(path: Path, catalogue: Catalog) -> None:
    with path.open("wb") as fp:
        write_po(fp, catalogue, width=120)


def domain(name: str) -> Domain:
    return next(d for d in DOMAINS if d.name == name)


def add_missing(target: Domain) -> list[str]:
    """Adds the keys the code uses and no catalogue of the domain (or its fallback) has; returns them."""
    found = {use.key: use for use in uses(target)}
    added: set[str] = set()
    for lang in LANGUAGES:
        catalogue = read(target.po(lang))
        known = {message.id if isinstance(message.id, str) else message.id[0] for message in catalogue}
        if target.falls_back_to:
            known |= {m.id if isinstance(m.id, str) else m.id[0] for m in read(domain(target.falls_back_to).po(lang))}
        new = [use for key, use in found.items() if key not in known]
        for use in new:
            catalogue.add((use.key, use.key) if use.plural else use.key,
                          ("",) * catalogue.num_plurals if use.plural else "", locations=[(use.file, use.line)])
        if new:
            write(target.po(lang), catalogue)
        added |= {use.key for use in new}
    return sorted(added)


if __name__ == "__main__":
    for each in DOMAINS:
        for new in add_missing(each):
            print(f"{each.name}: added {new!r}; write it in every language's {each.name}.po")  # noqa: T201
