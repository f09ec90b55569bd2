"""Every tracking number shown to citizens, ministries or developers is one the portal would accept."""

from pathlib import Path

import pytest

from shared.contracts.tracking import EXAMPLE, IN_TEXT, check_tracking_number, format_tracking_number

ROOT = Path(__file__).parents[3]
SHOWN_IN = ("services", "shared", "portal", "ministry_sdk", "bench", "deploy", "README.md")
TEXT = {".py", ".md", ".html", ".j2", ".txt", ".po", ".json", ".yaml", ".yml", ".toml", ".js", ".css", ".csv"}


def shown_examples() -> list[tuple[str, str]]:
    found = []
    for top in SHOWN_IN:
        path = ROOT / top
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            if file.suffix in TEXT and file.is_file() and "node_modules" not in file.parts:
                text = file.read_text(encoding="utf-8", errors="replace")
                found += [(str(file.relative_to(ROOT)), number) for number in IN_TEXT.findall(text)]
    return found


def test_the_scan_finds_the_examples_citizens_are_shown_in_both_languages() -> None:
    shown = {where for where, number in shown_examples() if number == EXAMPLE}
    assert {"services/gateway/locale/ar/LC_MESSAGES/ui.po", "services/gateway/locale/en/LC_MESSAGES/ui.po"} <= shown


@pytest.mark.parametrize(("where", "number"), shown_examples())
def test_every_example_in_ui_text_docs_and_docstrings_passes_its_own_check(where: str, number: str) -> None:
    assert check_tracking_number(number) == (number, None), f"{where}: {number}"


def test_the_example_is_rop_s_42nd_request_of_2026_with_its_check_character() -> None:
    assert EXAMPLE == "ROP-2026-000042-8"
    assert check_tracking_number("ROP-2026-000042-7") == ("ROP-2026-000042-7", "mistyped")


def test_arabic_indic_and_persian_digits_and_spaces_read_as_the_same_number() -> None:
    assert check_tracking_number(" rop-٢٠٢٦-٠٠٠٠٤٢-8 ") == (EXAMPLE, None)
    assert check_tracking_number("ROP-۲۰۲۶-۰۰۰۰۴۲-8") == (EXAMPLE, None)


def test_a_number_of_the_wrong_shape_is_malformed_not_mistyped() -> None:
    assert check_tracking_number("12345")[1] == "malformed"
    assert format_tracking_number("mohup", 2026, 1_234_567).startswith("MOHUP-2026-1234567-")
