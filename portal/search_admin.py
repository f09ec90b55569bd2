"""`portal search reindex`: rebuild the search index from the catalogue, through the gateway.

The catalogue's public list is read page by page and each page handed to the search service's rebuild,
which fills a new index beside the live one (searches keep working) and swaps it in at the end. A
service the catalogue no longer lists, such as one whose retirement the index missed, is gone after.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shared.logging import get_logger

log = get_logger(__name__)

CATALOGUE = "/api/v1/services"
REBUILDS = "/api/v1/admin/search/rebuilds"
ATTEMPTS = 3

# Called with (services sent so far, services the catalogue lists).
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Reindexed:
    build: str
    services: int
    retired: int


class ReindexError(Exception):
    pass


def _body(response: httpx.Response, doing: str) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise ReindexError(f"{doing} failed: {response.status_code} {response.text[:300]}")
    body: dict[str, Any] = response.json()
    return body


async def _send_catalogue(gateway: httpx.AsyncClient, build: str, headers: dict[str, str],
                          progress: ProgressCallback) -> int:
    """Every page of the catalogue into the build; the catalogue's count as of the last page read."""
    sent, total, page = 0, 0, 1
    while True:
        listed = _body(await gateway.get(CATALOGUE, params={"page": page}), f"reading catalogue page {page}")
        total = int(listed["total"])
        if not listed["items"]:
            return total
        _body(await gateway.post(f"{REBUILDS}/{build}/services", json={"services": listed["items"]},
                                 headers=headers), f"indexing catalogue page {page}")
        sent += len(listed["items"])
        progress(min(sent, total), total)
        page += 1


async def reindex(gateway: httpx.AsyncClient, token: str, progress: ProgressCallback = lambda done, total: None,
                  attempts: int = ATTEMPTS) -> Reindexed:
    """Rebuild the index from the catalogue. If the catalogue changed while it was read so that the new
    index would miss a service, the search service refuses the swap and the rebuild starts again."""
    headers = {"Authorization": f"Bearer {token}"}
    for attempt in range(1, attempts + 1):
        build = _body(await gateway.post(REBUILDS, headers=headers), "starting the rebuild")["build"]
        total = await _send_catalogue(gateway, build, headers, progress)
        completed = await gateway.post(f"{REBUILDS}/{build}/complete", json={"expected": total}, headers=headers)
        if completed.status_code == 409 and attempt < attempts:
            log.warning("search_reindex_retried", build=build, attempt=attempt)
            continue
        done = _body(completed, "swapping in the new index")
        log.info("search_reindexed", build=build, services=done["services"])
        return Reindexed(build=done["build"], services=int(done["services"]), retired=int(done["retired"]))
    raise ReindexError("the catalogue kept changing while it was read; try again")


@contextmanager
def progress_bar(description: str = "Indexing services") -> Iterator[ProgressCallback]:
    """A terminal progress bar for `reindex`."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
