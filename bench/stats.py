"""Medians, percentiles, plain-text tables, and timing without the load generator's own pauses."""

import contextlib
import gc
import statistics
from collections.abc import Iterator, Sequence


@contextlib.contextmanager
def load_generator_uncollected() -> Iterator[None]:
    """The bench's own process collects no garbage while it times, as timeit does: a full collection of its heap
    (70-85 ms here) would be counted as the portal's latency of every request in flight. Collected right after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect()


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], pct: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(line[i]) for line in (header, *rows)) for i in range(len(header))]

    def render(line: Sequence[str]) -> str:
        first, *rest = line
        cells = (cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True))
        return "  ".join([first.ljust(widths[0]), *cells])

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([render(header), rule, *(render(line) for line in rows)])
