"""The portal's ministry SDK: take citizens' requests from your own queue and publish what happens to them.

    async with MinistryClient(amqp_url, "rop") as client:
        async def on_request(incoming: IncomingRequest) -> None:
            await client.update_status(incoming.request.tracking_number, "received")

        await client.serve(on_request)
        ...

Your broker user reads only `ministry.<code>.inbox` and publishes only `<code>.…` routing keys on
`portal.from-ministries`; the broker stamps and checks the user id of everything you publish.
"""

from ministry_sdk.client import IncomingRequest, MinistryClient, RequestRefused

__all__ = ["IncomingRequest", "MinistryClient", "RequestRefused"]
