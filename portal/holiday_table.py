"""`portal calendar holidays-table`: write Oman's public holidays, as the `holidays` package computes them, to the
table the requests service reads (services/requests/domain/oman_holidays.json), so that serving never loads the
package. Run it after upgrading the package (a unit test fails until the table agrees) or to widen the years."""

import json
from importlib.metadata import version
from pathlib import Path

from services.requests.domain.calendar import TABLE, package_holidays

FIRST_YEAR = 2000
LAST_YEAR = 2060


def holiday_table(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> str:
    days = {day.isoformat(): [en, ar] for year in range(first_year, last_year + 1)
            for day, (en, ar) in package_holidays(year).items()}
    kept = {"source": f"holidays {version('holidays')}, Oman (en_US and ar)", "first_year": first_year,
            "last_year": last_year, "holidays": days}
    # One holiday a line: a regenerated table reads as a diff of the days that changed.
    lines = ",\n".join(f"  {json.dumps(day)}: {json.dumps(names, ensure_ascii=False)}" for day, names in days.items())
    head = json.dumps({k: v for k, v in kept.items() if k != "holidays"}, ensure_ascii=False)[:-1]
    return f'{head}, "holidays": {{\n{lines}\n}}}}\n'


def write_holiday_table(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR, path: Path = TABLE) -> int:
    """The number of holidays written."""
    text = holiday_table(first_year, last_year)
    path.write_text(text, encoding="utf-8")
    return len(json.loads(text)["holidays"])
