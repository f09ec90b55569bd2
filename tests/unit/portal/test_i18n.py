"""The catalogues hold every word the templates and code show, in Arabic and English, with Arabic plural forms."""

import ast
import re
from functools import cache
from typing import get_args

import pytest
from babel.messages.catalog import Catalog, Message

from portal.i18n import DOMAINS, ROOT, Domain, Use, domain, read
from portal.i18n import uses as extracted
from services.gateway.ui.i18n import LIFE_EVENTS, citizen_words
from services.gateway.ui.performance import DEFINED
from services.gateway.workspace.designer import KINDS
from services.gateway.workspace.readiness import QUESTIONS
from services.gateway.workspace.routes.request_page import DONE
from services.gateway.workspace.routes.sign_in import ROLES
from services.gateway.workspace.staff import TARGET
from services.notifications.domain import BY_ID
from shared.contracts.catalog import ChannelKind, Maturity
from shared.contracts.requests import Status
from shared.i18n import LANGUAGES

# A value that counts something: its text must be said with ngettext (Arabic has six plural forms).
COUNTS = re.compile(r"%\((num|count)\)s")
# A value followed by a noun in the one form Arabic gives 11 to 99 (يوماً، مواطناً): a count said in a fixed form,
# wrong for 3 (أيام), 100 (يوم) and the rest. The notifications' {values} are names and dates, never counts.
FIXED_COUNT = re.compile(r"%\(\w+\)s\s+[\u0621-\u0652]+(اً|ًا)(?![\u0621-\u0652])")
# The UI's %(name)s (Jinja's newstyle gettext), the notifications' {name} (str.format, as their admin API shows).
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


@cache
def uses(of: Domain) -> list[Use]:
    return list(extracted(of))


def catalogue(of: Domain, lang: str) -> Catalog:
    return read(of.po(lang))


def entries(of: Domain, lang: str) -> dict[str, Message]:
    """The domain's messages by key, its fallback's first (the domain's own win)."""
    found = entries(domain(of.falls_back_to), lang) if of.falls_back_to else {}
    return found | {key_of(m): m for m in catalogue(of, lang) if m.id}


def key_of(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def texts(message: Message) -> list[str]:
    forms = message.string if isinstance(message.string, (tuple, list)) else [message.string]
    return [form or "" for form in forms]


@pytest.mark.parametrize("of", DOMAINS, ids=lambda d: d.name)
def test_every_key_a_template_or_code_uses_is_written_in_arabic_and_english(of: Domain) -> None:
    problems = []
    for lang in LANGUAGES:
        known = entries(of, lang)
        for use in uses(of):
            message = known.get(use.key)
            if message is None:
                problems.append(f"{use.where}: {use.key!r} is missing from {lang}/{of.name}.po")
            elif not all(texts(message)):
                problems.append(f"{use.where}: {use.key!r} is not written in {lang}/{of.name}.po")
    assert not problems, "run `make i18n`, then write these:\n" + "\n".join(problems)


@pytest.mark.parametrize("of", DOMAINS, ids=lambda d: d.name)
def test_the_arabic_and_english_catalogues_say_the_same_keys_all_written(of: Domain) -> None:
    arabic, english = ({key_of(m): m for m in catalogue(of, lang) if m.id} for lang in LANGUAGES)
    assert sorted(set(arabic) ^ set(english)) == []
    assert [key for key, m in (arabic | english).items() if not all(texts(m))] == []


@pytest.mark.parametrize("of", DOMAINS, ids=lambda d: d.name)
def test_a_text_that_counts_is_a_plural_entry_said_with_ngettext(of: Domain) -> None:
    plural_keys = {key_of(m) for lang in LANGUAGES for m in catalogue(of, lang) if m.pluralizable}
    counting = {key_of(m) for lang in LANGUAGES for m in catalogue(of, lang) if m.id
                and any(COUNTS.search(t) for t in texts(m))}
    assert sorted(counting - plural_keys) == []
    assert sorted({f"{u.where}: {u.key}" for u in uses(of) if u.key in plural_keys and not u.plural}) == []
    assert sorted({f"{u.where}: {u.key}" for u in uses(of) if u.plural and u.key not in plural_keys}) == []


@pytest.mark.parametrize("of", DOMAINS, ids=lambda d: d.name)
def test_an_arabic_count_is_never_written_in_one_fixed_form(of: Domain) -> None:
    fixed = [key_of(m) for m in catalogue(of, "ar") if m.id and not m.pluralizable and FIXED_COUNT.search(m.string)]
    assert fixed == [], "say these with ngettext and a plural entry (services/gateway/locale/README.md)"


def test_arabic_plurals_have_the_six_forms_of_the_cldr_rule() -> None:
    for of in DOMAINS:
        arabic = catalogue(of, "ar")
        assert arabic.num_plurals == 6
        assert [key_of(m) for m in arabic if m.pluralizable and len(texts(m)) != 6] == []


@pytest.mark.parametrize("of", DOMAINS, ids=lambda d: d.name)
def test_each_text_fills_the_same_values_in_both_languages(of: Domain) -> None:
    arabic, english = ({key_of(m): m for m in catalogue(of, lang) if m.id} for lang in LANGUAGES)
    for key in arabic.keys() & english.keys():
        names = {lang: {"".join(n) for t in texts(m) for n in PLACEHOLDER.findall(t)}
                 for lang, m in (("ar", arabic[key]), ("en", english[key]))}
        # Arabic may leave the number out of its "one" and "two" forms (يوم واحد، يومان): only the names must agree.
        assert names["ar"] == names["en"], key
        for text in texts(arabic[key]) + texts(english[key]):
            if of.name != "notifications":
                text % dict.fromkeys(names["en"], "x")  # a stray % fails here, not on a citizen's page


def test_every_status_life_event_service_level_channel_and_figure_has_its_words() -> None:
    ui = domain("ui")
    needed = ({f"status_{s}" for s in get_args(Status)} | {f"life_event_{e}" for e in LIFE_EVENTS} |
              {f"maturity_{m}" for m in get_args(Maturity)} | {f"channel_{c}" for c in get_args(ChannelKind)} |
              {f"kpi_definition_{k}" for k in DEFINED})
    for lang in LANGUAGES:
        assert sorted(needed - entries(ui, lang).keys()) == []


def test_every_error_page_a_route_raises_names_words_of_its_catalogue() -> None:
    """PageProblem(status, title, detail) and Refused(status, key) carry keys the error pages show."""
    for of, folder, calls in ((domain("ui"), "services/gateway/ui", {"PageProblem": (1, 2)}),
                              (domain("workspace"), "services/gateway/workspace", {"Refused": (1,)})):
        keys = set()
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in calls:
                    keys |= {arg.value for i, arg in enumerate(node.args) if i in calls[node.func.id]
                             and isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
        assert keys
        for lang in LANGUAGES:
            assert sorted(keys - entries(of, lang).keys()) == []


def test_every_notification_template_has_its_four_texts_in_both_languages() -> None:
    needed = {f"{template}.{part}" for template in BY_ID for part in ("status_name", "title", "body", "sms")}
    for lang in LANGUAGES:
        assert sorted(needed - entries(domain("notifications"), lang).keys()) == []


@pytest.mark.parametrize(("n", "form"), [(0, "لا نتائج"), (1, "نتيجة واحدة"), (2, "نتيجتان"), (3, "3 نتائج"),
                                         (10, "10 نتائج"), (11, "11 نتيجة"), (99, "99 نتيجة"), (100, "100 نتيجة"),
                                         (103, "103 نتائج")])
def test_an_arabic_count_takes_the_form_cldr_gives_its_number(n: int, form: str) -> None:
    assert citizen_words()["ar"].ngettext("results_n", "results_n", n) % {"num": n} == form
    assert citizen_words()["en"].ngettext("results_n", "results_n", n) % {"num": n} == (
        f"{n} result" if n == 1 else f"{n} results")


def test_every_workspace_question_role_field_kind_action_and_outcome_has_its_words() -> None:
    """The workspace builds these keys at run time ('q_' ~ name …), so extraction cannot see them."""
    conflicts = {keyword.value.value for path in (ROOT / "services/gateway/workspace").rglob("*.py")
                 for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)
                 for keyword in node.keywords
                 if keyword.arg == "conflict" and isinstance(keyword.value, ast.Constant)}
    assert conflicts
    needed = ({f"q_{name}" for name, _ in QUESTIONS} | {f"role_{role}" for role in ROLES} |
              {f"kind_{kind}" for kind in KINDS} | {f"action_{action}" for action in TARGET} | {"action_close"} |
              {f"done_{done}" for done in DONE} | {f"conflict_{conflict}" for conflict in conflicts})
    for lang in LANGUAGES:
        assert sorted(needed - entries(domain("workspace"), lang).keys()) == []
