"""Charts drawn on the server as SVG (no script): the forecast's expected weekly requests as a line within its
interval band. The same figures always stand in a table beside the chart; this is only their picture."""

from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 480, 200, 40, 24, 10


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    line: str
    band: str
    # (y, label) of the horizontal grid lines; (x, label) of each week along the bottom.
    grid: list[tuple[float, str]]
    weeks: list[tuple[float, str]]


def forecast_chart(weeks: list[dict[str, Any]]) -> Chart | None:
    """`weeks`: {week, expected, lower, upper} in order; None when there is nothing to draw."""
    if not weeks:
        return None
    top = max(max(float(w["upper"]) for w in weeks), 1.0)
    step = (WIDTH - LEFT - 10) / max(len(weeks) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + i * step, 1)

    def y(value: float) -> float:
        return round(HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * float(value) / top, 1)

    upper = [f"{x(i)},{y(w['upper'])}" for i, w in enumerate(weeks)]
    lower = [f"{x(i)},{y(w['lower'])}" for i, w in reversed(list(enumerate(weeks)))]
    return Chart(WIDTH, HEIGHT, " ".join(f"{x(i)},{y(w['expected'])}" for i, w in enumerate(weeks)),
                 " ".join(upper + lower), [(y(top * f), f"{top * f:.0f}") for f in (0, 0.5, 1)],
                 [(x(i), str(w["week"])[5:10]) for i, w in enumerate(weeks)])
