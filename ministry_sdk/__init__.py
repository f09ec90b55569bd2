"""The portal's ministry SDK: take citizens' requests from your own queue and publish what happens to them.

    async with MinistryClient(amqp_url, "rop") as client:
        async def on_request(incoming: IncomingRequest) -> None:
            await client.update_status(incoming.request.tracking_number, "received")

        await client.serve(on_request)
        # When you issue a licence, registration or certificate, the portal offers its renewal in time:
        await client.issue_document(national_id, "driving_licence", "DL-778899", issued_on, expires_on)
        ...

Your broker user reads only `ministry.<code>.inbox` and publishes only `<code>.…` routing keys on
`portal.from-ministries`; the broker stamps and checks the user id of everything you publish.
"""

from ministry_sdk.client import IncomingRequest, MinistryClient, RequestRefused

__all__ = ["IncomingRequest", "MinistryClient", "RequestRefused"]
