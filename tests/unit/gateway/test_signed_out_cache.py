"""The gateway asks the shared sign-outs about a token at most once per recheck period, and remembers a verified
token's identity no longer than the token lives: neither lets a signed-out or expired token through."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from services.gateway.adapters.dev_identity import DevIdentityProvider, DevSignIn
from services.gateway.store import LocalSignedOutSessions, RecentlyAskedSignedOutSessions
from tests.unit.gateway.conftest import Portal

LATER = datetime.now(UTC) + timedelta(hours=1)


class CountedSessions(LocalSignedOutSessions):
    """Another replica's view of the shared database: it counts how often it is asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    async def is_revoked(self, token: str) -> bool:
        self.asked += 1
        return await super().is_revoked(token)


async def test_a_sign_out_through_this_replica_is_refused_at_once_though_the_token_was_just_asked_about() -> None:
    sessions = RecentlyAskedSignedOutSessions(CountedSessions(), fresh_seconds=60)
    assert not await sessions.is_revoked("token")
    await sessions.revoke("token", LATER)
    assert await sessions.is_revoked("token")


async def test_a_sign_out_through_another_replica_is_refused_once_the_recheck_time_has_passed() -> None:
    now = [0.0]
    shared = CountedSessions()
    sessions = RecentlyAskedSignedOutSessions(shared, fresh_seconds=2, clock=lambda: now[0])
    assert not await sessions.is_revoked("token")
    await shared.revoke("token", LATER)  # the other replica writes to the database both share
    now[0] = 1.9
    assert not await sessions.is_revoked("token")
    now[0] = 2.0
    assert await sessions.is_revoked("token")


async def test_the_shared_sign_outs_are_asked_about_a_token_once_per_recheck_period() -> None:
    now = [0.0]
    shared = CountedSessions()
    sessions = RecentlyAskedSignedOutSessions(shared, fresh_seconds=2, clock=lambda: now[0])
    for _ in range(50):
        await sessions.is_revoked("token")
    assert shared.asked == 1
    now[0] = 2.5
    await sessions.is_revoked("token")
    assert shared.asked == 2


async def test_a_tokens_signature_is_checked_once_not_on_every_request(portal: Portal) -> None:
    citizen = await portal.sign_in()
    provider: DevIdentityProvider = portal.app.state.deps.dev_idp
    checked: list[str] = []
    verify = provider.verify

    def counted(token: str) -> dict[str, Any]:
        checked.append(token)
        return verify(token)

    provider.verify = counted  # type: ignore[method-assign]
    for _ in range(5):
        assert (await portal.client.get("/api/v1/requests", headers=citizen)).status_code == 200
    assert len(checked) == 1


async def test_a_token_whose_identity_was_remembered_is_refused_once_it_expires(portal: Portal) -> None:
    # Two seconds: "exp" is in whole seconds from a truncated now, so a one-second token had anywhere from a second to
    # a few milliseconds left, and was at times refused before its first use.
    token = portal.app.state.deps.dev_idp.issue(DevSignIn(national_id="12345678", name="Aisha"), lifetime_seconds=2)
    citizen = {"Authorization": f"Bearer {token}"}
    assert (await portal.client.get("/api/v1/requests", headers=citizen)).status_code == 200
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(expires - time.time(), 0) + 0.05)
    assert (await portal.client.get("/api/v1/requests", headers=citizen)).status_code == 401
