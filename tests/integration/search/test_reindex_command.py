"""`portal search reindex` rebuilds the index from the catalogue's pages, through the gateway."""

import httpx
import pytest
from fastapi import FastAPI

from portal.search_admin import ReindexError, reindex
from shared.auth import IdentitySigner
from shared.contracts.catalog import ServicePublished, ServiceRecord
from tests.factories import create_admin, create_citizen
from tests.integration.search.helpers import create_service_record, found, publish, wait_until_found

PAGE = 50
ADMIN_TOKEN, CITIZEN_TOKEN = "admin-token", "citizen-token"


class FakeGateway(httpx.AsyncBaseTransport):
    """The catalogue's public list from `listings` (one per full read), everything else to the search service
    with the identity the real gateway would vouch for."""

    def __init__(self, search: FastAPI, signer: IdentitySigner, *listings: list[ServiceRecord]) -> None:
        self._search = httpx.ASGITransport(app=search)
        self._signer, self._listings, self.reads = signer, listings, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/services":
            listing = self._listings[min(self.reads, len(self._listings) - 1)]
            page = int(request.url.params["page"])
            items = listing[(page - 1) * PAGE:page * PAGE]
            if not items:
                self.reads += 1
            return httpx.Response(200, json={"total": len(listing), "page": page,
                                             "items": [r.model_dump(mode="json") for r in items]})
        identity = {ADMIN_TOKEN: create_admin(), CITIZEN_TOKEN: create_citizen()}[
            request.headers["authorization"].removeprefix("Bearer ")]
        request.headers["x-portal-identity"] = self._signer.sign(identity)
        return await self._search.handle_async_request(request)


def create_catalogue(count: int) -> list[ServiceRecord]:
    return [create_service_record(slug=f"service-{n:03}", title_en=f"Passport office {n}") for n in range(count)]


async def test_reindex_reads_every_page_reports_progress_and_drops_what_the_catalogue_no_longer_lists(
        app: FastAPI, client: httpx.AsyncClient, signer: IdentitySigner) -> None:
    await publish(app, ServicePublished(service=create_service_record(slug="stale", title_en="Passport bureau")))
    await wait_until_found(client, "bureau", "stale")
    catalogue = create_catalogue(120)
    progress: list[tuple[int, int]] = []

    async with httpx.AsyncClient(transport=FakeGateway(app, signer, catalogue), base_url="http://gw") as gateway:
        result = await reindex(gateway, ADMIN_TOKEN, lambda done, total: progress.append((done, total)))

    assert (result.services, result.retired) == (120, 0)
    assert progress == [(50, 120), (100, 120), (120, 120)]
    assert await found(client, "bureau") == []
    assert (await client.get("/api/v1/search", params={"q": "passport"})).json()["total"] == 120


async def test_reindex_starts_again_when_the_catalogue_changed_while_it_was_read(
        app: FastAPI, signer: IdentitySigner) -> None:
    catalogue = create_catalogue(60)
    # Pages shifted under the first read: one service came twice and another never.
    transport = FakeGateway(app, signer, [*catalogue[:59], catalogue[0]], catalogue)

    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gateway:
        result = await reindex(gateway, ADMIN_TOKEN)

    assert result.services == 60
    assert transport.reads == 2


async def test_reindex_without_an_admin_token_stops_with_the_reason(app: FastAPI, signer: IdentitySigner) -> None:
    async with httpx.AsyncClient(transport=FakeGateway(app, signer, create_catalogue(1)),
                                 base_url="http://gw") as gateway:
        with pytest.raises(ReindexError, match="403"):
            await reindex(gateway, CITIZEN_TOKEN)
