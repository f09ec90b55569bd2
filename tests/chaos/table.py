"""The chaos tier's report: one row per scenario and database."""

from tests.chaos.checks import Outcome

COLUMNS = ("scenario", "db", "submitted", "completed", "lost", "duplicated", "stuck", "repeated", "outbox",
           "recovery s", "p95 s", "p95 others s", "control p95 s", "verdict")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render(outcomes: list[tuple[Outcome, list[str]]]) -> str:
    rows = [COLUMNS] + [(
        o.scenario, o.database, str(o.submitted), str(o.completed), str(o.lost), str(o.duplicated), str(o.stuck),
        str(o.repeated_history), str(o.outbox_pending), _seconds(o.recovery_seconds), _seconds(o.p95_seconds),
        _seconds(o.p95_others_seconds), _seconds(o.baseline_p95_seconds),
        "ok" if not failures else "FAIL: " + ", ".join(failures),
    ) for o, failures in outcomes]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.rjust(width) if i > 1 else cell.ljust(width) for i, (cell, width) in
                 enumerate(zip(row, widths, strict=False))]
        lines.append(" | ".join(cells) + " | " + row[-1])
        if n == 0:
            lines.append("-+-".join("-" * width for width in widths) + "-+-" + "-" * 7)
    return "\n".join(lines)
