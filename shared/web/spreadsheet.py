"""CSV the portal writes: RFC 4180 text whose cells a spreadsheet never runs as formulas (OWASP CSV injection)."""

import csv
import io
from collections.abc import Iterable, Sequence

# What makes Excel or LibreOffice read a cell as a formula, with the full-width forms some spreadsheets accept.
_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def safe_cell(value: object) -> object:
    """Text that would start a formula gets a leading single quote; numbers and other text stay as they are."""
    if isinstance(value, str) and (value[:1] in _FORMULA_START or value.lstrip()[:1] in _FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV (CRLF line ends), every cell through safe_cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def media_response(media_type: str, description: str, schema: dict[str, object] | None = None
                   ) -> dict[int | str, dict[str, object]]:
    """The `responses` of a route that answers in another format than JSON, for its OpenAPI document."""
    return {200: {"description": description, "content": {media_type: {"schema": schema or {"type": "string"}}}}}


CSV_RESPONSE = media_response("text/csv", "CSV (RFC 4180, UTF-8), one header row")
