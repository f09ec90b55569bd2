"""A ministry integrates over the bus with the SDK; staff handle what went wrong with the `portal` command."""

import asyncio
import json
import os
import subprocess
import sys

import httpx
import pytest

from ministry_sdk import MinistryClient
from shared.bus.admin import vhost_of, with_credentials
from shared.bus.topology import ministry_broker_user
from shared.contracts.tracking import format_tracking_number
from tests.e2e.conftest import RunningPortal
from tests.e2e.test_thin_slice import poll
from tests.standards import asyncapi_parser

pytestmark = pytest.mark.e2e


def portal_command(portal: RunningPortal, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "portal.cli", *args], capture_output=True, text=True, timeout=60,
                          env=os.environ | {"PORTAL_GATEWAY_URL": portal.url}, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_bus_contract_is_published_as_asyncapi_3_that_the_official_parser_accepts(portal: RunningPortal) -> None:
    document = httpx.get(f"{portal.url}/asyncapi.json").json()
    [diagnostics] = asyncapi_parser(document)
    assert [d for d in diagnostics if d["severity"] in ("error", "warning")] == []
    assert document["asyncapi"] == "3.1.0"
    assert document["channels"]["ministryInbox"]["address"] == "ministry.{ministry}.inbox"


def test_staff_find_a_ministrys_bad_status_event_with_its_reason_and_discard_it(portal: RunningPortal) -> None:
    saved = json.loads((portal.run_dir / "ministries" / "rop.json").read_text())
    unknown = format_tracking_number("rop", 2026, 999_999)

    async def publish() -> None:
        url = with_credentials(portal.amqp_url, saved["broker_user"], saved["broker_password"])
        async with MinistryClient(url, "rop") as client:
            await client.update_status(unknown, "received")

    asyncio.run(publish())
    listing = poll(lambda: portal_command(portal, "dead-letters", "list", "--queue", "requests.from.rop"),
                   lambda out: unknown.lower() in out.lower() or "request-not-found" in out)
    assert "request-not-found" in listing
    letter = next(line.split()[0] for line in listing.splitlines() if line.rstrip().endswith("[pending]"))
    shown = json.loads(portal_command(portal, "dead-letters", "show", letter))
    assert shown["sender"] == saved["broker_user"] == ministry_broker_user("rop", vhost_of(portal.amqp_url))
    assert shown["message"]["data"]["tracking_number"] == unknown
    portal_command(portal, "dead-letters", "discard", letter, "--note", "the ministry's test record")
    after = portal_command(portal, "dead-letters", "list", "--status", "all", "--queue", "requests.from.rop")
    assert "[discarded]" in after
