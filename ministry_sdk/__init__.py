"""The portal's ministry SDK: take citizens' requests from your own queue and publish what happens to them.

    async with MinistryClient(amqp_url, "rop", store=SqliteStore("rop-ministry.sqlite3")) as client:
        async def on_request(incoming: IncomingRequest) -> None:
            await client.update_status(incoming.request.tracking_number, "received")

        await client.serve(on_request)
        # When you issue a licence, registration or certificate, the portal offers its renewal in time:
        await client.issue_document(national_id, "driving_licence", "DL-778899", issued_on, expires_on)
        ...

Nothing is dropped while the broker is away: what you publish is kept (in the store) and retried with a bounded
backoff until the broker confirms it, under one event id; a request is acked only once its outcome is kept, and a
request delivered twice reaches your handler once. `await client.health()` and the `ministry_sdk_*` Prometheus
metrics say whether publishing works and how much waits.

Your broker user reads only `ministry.<code>.inbox` and publishes only `<code>.…` routing keys on
`portal.from-ministries`; the broker stamps and checks the user id of everything you publish.
"""

from ministry_sdk.client import IncomingRequest, MinistryClient, RequestRefused
from ministry_sdk.publisher import Backoff, Health
from ministry_sdk.store import MemoryStore, MinistryStore, Outgoing, SqliteStore

__all__ = ["Backoff", "Health", "IncomingRequest", "MemoryStore", "MinistryClient", "MinistryStore", "Outgoing",
           "RequestRefused", "SqliteStore"]
