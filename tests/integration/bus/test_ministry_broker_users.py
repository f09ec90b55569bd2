"""What an onboarded ministry's broker user may and may not do, enforced by RabbitMQ itself."""

import secrets
import uuid
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from shared.bus import AccessRefused, Bus, Envelope, PublishFailed, RawDelivery, connect_bus
from shared.bus.admin import BrokerAdmin, BrokerAdminError, vhost_of, with_credentials
from shared.bus.topology import FROM_MINISTRIES, from_ministry, ministry_inbox
from tests.integration.bus.helpers import Recorder, eventually
from tests.integration.conftest import MANAGEMENT_URL

pytestmark = pytest.mark.integration


@pytest.fixture
async def rop(broker_url: str) -> AsyncIterator[tuple[Bus, Bus]]:
    """The portal's own connection with both ministries' queues declared, and ministry rop's connection."""
    portal = connect_bus(broker_url, name="portal")
    await portal.start()
    await portal.declare([q for code in ("rop", "moh") for q in (ministry_inbox(code), from_ministry(code))])
    code = f"rop{uuid.uuid4().hex[:6]}"
    await portal.declare([ministry_inbox(code), from_ministry(code)])
    admin = BrokerAdmin(MANAGEMENT_URL, "guest", "guest", vhost_of(broker_url))
    password = secrets.token_urlsafe(16)
    user = await admin.onboard_ministry(code, password)
    ministry = connect_bus(with_credentials(broker_url, user, password), name=code)
    await ministry.start()
    ministry.code = code  # type: ignore[attr-defined]
    ministry.user = user  # type: ignore[attr-defined]
    yield portal, ministry
    await ministry.close()
    await portal.close()
    await admin.delete_user(user)
    await admin.close()


def create_status(code: str) -> Envelope:
    return Envelope(type="om.portal.ministry.request.status_updated.v1", source=f"/ministries/{code}", data={})


async def test_a_ministry_publishes_under_its_own_code_and_the_portal_sees_who_sent_it(
        rop: tuple[Bus, Bus]) -> None:
    portal, ministry = rop
    code: str = ministry.code  # type: ignore[attr-defined]
    recorder = Recorder()
    await portal.consume(from_ministry(code), recorder)
    user: str = ministry.user  # type: ignore[attr-defined]
    await ministry.publish(create_status(code), FROM_MINISTRIES, f"{code}.request.status_updated", user_id=user)

    async def arrived() -> bool:
        return len(recorder.seen) == 1

    await eventually(arrived)
    assert recorder.seen[0].user_id == user


async def test_a_ministry_cannot_publish_under_another_ministrys_code(rop: tuple[Bus, Bus]) -> None:
    _, ministry = rop
    with pytest.raises(PublishFailed):
        await ministry.publish(create_status("moh"), FROM_MINISTRIES, "moh.request.status_updated",
                               user_id=ministry.user)  # type: ignore[attr-defined]


async def test_a_ministry_cannot_pretend_to_be_another_broker_user(rop: tuple[Bus, Bus]) -> None:
    _, ministry = rop
    code: str = ministry.code  # type: ignore[attr-defined]
    with pytest.raises(PublishFailed):
        await ministry.publish(create_status(code), FROM_MINISTRIES, f"{code}.request.status_updated",
                               user_id="ministry-moh")


async def test_a_ministry_reads_its_own_inbox_and_no_other(rop: tuple[Bus, Bus]) -> None:
    _, ministry = rop
    code: str = ministry.code  # type: ignore[attr-defined]
    await ministry.consume(ministry_inbox(code), Recorder(), passive=True)
    with pytest.raises(AccessRefused):
        await ministry.consume(ministry_inbox("moh"), Recorder(), passive=True)


async def test_a_ministry_cannot_forge_a_replay_on_the_default_exchange(rop: tuple[Bus, Bus]) -> None:
    portal, ministry = rop
    forged = RawDelivery(create_status("moh").to_body(), "moh.request.status_updated", {}, user_id="ministry-moh")
    with pytest.raises(PublishFailed):
        await ministry.replay(forged, "requests.from.moh", replay_of="forged")
    assert await portal.drain("requests.from.moh") == []


@pytest.fixture
async def second_vhost() -> AsyncIterator[str]:
    vhost = f"test-{uuid.uuid4().hex[:10]}"
    admin = BrokerAdmin(MANAGEMENT_URL, "guest", "guest", vhost)
    await admin.ensure_vhost()
    await admin.grant_admin("guest")
    yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    await admin.delete_vhost()
    await admin.close()


async def test_onboarding_a_ministry_on_a_second_portal_of_the_same_broker_leaves_the_first_portals_user_working(
        broker_url: str, second_vhost: str) -> None:
    code = f"rop{uuid.uuid4().hex[:6]}"
    first = BrokerAdmin(MANAGEMENT_URL, "guest", "guest", vhost_of(broker_url))
    second = BrokerAdmin(MANAGEMENT_URL, "guest", "guest", vhost_of(second_vhost))
    first_password, second_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    first_user = await first.onboard_ministry(code, first_password)
    second_user = await second.onboard_ministry(code, second_password)
    try:
        assert first_user != second_user
        portal = connect_bus(broker_url, name="portal")
        await portal.start()
        await portal.declare([ministry_inbox(code), from_ministry(code)])
        ministry = connect_bus(with_credentials(broker_url, first_user, first_password), name=code)
        await ministry.start()
        await ministry.publish(create_status(code), FROM_MINISTRIES, f"{code}.request.status_updated",
                               user_id=first_user)
        assert [d.user_id for d in await portal.drain(from_ministry(code).name)] == [first_user]
        await ministry.close()
        await portal.close()
    finally:
        for admin, user in ((first, first_user), (second, second_user)):
            await admin.delete_user(user)
            await admin.close()


async def test_onboarding_refuses_a_broker_user_that_already_holds_rights_on_another_vhost(
        broker_url: str, second_vhost: str) -> None:
    code = f"rop{uuid.uuid4().hex[:6]}"
    admin = BrokerAdmin(MANAGEMENT_URL, "guest", "guest", vhost_of(broker_url))
    user = await admin.onboard_ministry(code, secrets.token_urlsafe(16))
    try:
        async with httpx.AsyncClient(auth=("guest", "guest")) as client:
            granted = await client.put(f"{MANAGEMENT_URL}/api/permissions/{vhost_of(second_vhost)}/{quote(user)}",
                                       json={"configure": ".*", "write": ".*", "read": ".*"})
            assert granted.status_code in (201, 204)
        with pytest.raises(BrokerAdminError, match=vhost_of(second_vhost)):
            await admin.onboard_ministry(code, secrets.token_urlsafe(16))
    finally:
        await admin.delete_user(user)
        await admin.close()
