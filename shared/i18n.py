"""Gettext catalogues (Babel) for the words people read, and Jinja's i18n extension reading them.

Each service keeps its catalogues in `<service>/locale/<lang>/LC_MESSAGES/<domain>.po`, Arabic first and English.
Message ids are stable keys (`track`, `status_approved`), not English sentences: both languages are translations
of the key, so rewording the English never makes the Arabic stale. The `.mo` files are compiled from the `.po`
files by `make catalogues` (a step of `make setup`/`make run`) and by the image build; they are not in git.
Every text is a %-format string (`%(name)s`, a literal `%%`), as Jinja's newstyle gettext formats it.
"""

from collections.abc import Mapping
from pathlib import Path

from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import escape

from shared.logging import get_logger

log = get_logger(__name__)
LANGUAGES = ("ar", "en")


class CataloguesMissing(RuntimeError):
    """A compiled catalogue is absent or older than its `.po`: the words shown would be missing or stale."""


def load(directory: Path, domain: str, fallback: Mapping[str, Translations] | None = None) -> dict[str, Translations]:
    """One Translations per language; `fallback` answers the keys this domain does not have."""
    loaded: dict[str, Translations] = {}
    for lang in LANGUAGES:
        source = directory / lang / "LC_MESSAGES" / f"{domain}.po"
        compiled = source.with_suffix(".mo")
        if not compiled.is_file() or compiled.stat().st_mtime < source.stat().st_mtime:
            raise CataloguesMissing(f"{compiled} is missing or older than {source.name}: run `make catalogues`")
        with compiled.open("rb") as fp:
            translations = Translations(fp, domain=domain)
        if fallback is not None:
            translations.add_fallback(fallback[lang])
        loaded[lang] = translations
    return loaded


def _lookup(translations: Translations, key: str) -> str:
    found = str(translations.gettext(key))
    if found == key:
        log.warning("i18n.message_missing", key=key)
    return found


def text(translations: Translations, key: str, **values: object) -> str:
    """The words for `key`, filled as the templates' newstyle gettext fills them (Python code's way in)."""
    return _lookup(translations, key) % values


def _plain(context: Context, found: str) -> str:
    """The catalogue's text as text: Jinja's newstyle wrapper marks it safe, so an `&` or `<` in it is escaped here."""
    return escape(found) if context.eval_ctx.autoescape else found


@pass_context
def _gettext(context: Context, key: str) -> str:
    # Jinja's newstyle wrapper fills the values in (escaping them) after this.
    return _plain(context, _lookup(context["translations"], key))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _plain(context, str(context["translations"].ngettext(singular, plural, n)))


@pass_context
def _pgettext(context: Context, msgctxt: str, key: str) -> str:
    return _plain(context, str(context["translations"].pgettext(msgctxt, key)))


@pass_context
def _npgettext(context: Context, msgctxt: str, singular: str, plural: str, n: int) -> str:
    return _plain(context, str(context["translations"].npgettext(msgctxt, singular, plural, n)))


def install(env: Environment) -> None:
    """`{% trans %}`, `_()`, `gettext`, `ngettext` in `env`'s templates, in the language of the page being drawn.

    The page's context carries `translations` (its language's catalogue): one environment serves both languages,
    and the newstyle callables escape and fill the values (`_('offer', number=n)`).
    """
    env.add_extension("jinja2.ext.i18n")
    env.add_extension("jinja2.ext.do")
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added to the environment by the extension
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext)
