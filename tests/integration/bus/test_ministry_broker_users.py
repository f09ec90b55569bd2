"""What an onboarded ministry's broker user may and may not do, enforced by RabbitMQ itself."""

import secrets
import uuid
from collections.abc import AsyncIterator

import pytest

from shared.bus import AccessRefused, Bus, Envelope, PublishFailed, RawDelivery, connect_bus
from shared.bus.admin import BrokerAdmin, vhost_of, with_credentials
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
    await ministry.publish(create_status(code), FROM_MINISTRIES, f"{code}.request.status_updated",
                           user_id=f"ministry-{code}")

    async def arrived() -> bool:
        return len(recorder.seen) == 1

    await eventually(arrived)
    assert recorder.seen[0].user_id == f"ministry-{code}"


async def test_a_ministry_cannot_publish_under_another_ministrys_code(rop: tuple[Bus, Bus]) -> None:
    _, ministry = rop
    with pytest.raises(PublishFailed):
        await ministry.publish(create_status("moh"), FROM_MINISTRIES, "moh.request.status_updated",
                               user_id=f"ministry-{ministry.code}")  # type: ignore[attr-defined]


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
