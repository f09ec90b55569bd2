"""`portal up` supervises its children: one that dies is restarted and the rest of the portal keeps serving."""

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RunningPortal

pytestmark = pytest.mark.e2e


def child_pid(*argv: str) -> int | None:
    """The process whose command line ends with these arguments, as `ps` would find it."""
    wanted = [a.encode() for a in argv]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        except OSError:
            continue
        if args[-len(wanted):] == wanted and b"portal.cli" in args:
            return int(entry.name)
    return None


def test_a_service_killed_with_sigkill_is_restarted_while_the_rest_keeps_serving(portal: RunningPortal) -> None:
    port = str(int(portal.url.rsplit(":", 1)[1]) + 4)
    killed = child_pid("serve", "notifications", "--port", port)
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=portal.url, timeout=5) as client:
        while True:
            assert client.get("/api/v1/services").status_code == 200
            restarted = child_pid("serve", "notifications", "--port", port)
            if restarted not in (None, killed):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
            assert time.monotonic() < deadline, "notifications was not restarted:\n" + portal.output.read_text()[-2000:]
            time.sleep(0.5)
    log = portal.output.read_text()
    assert "child_exited" in log and "SIGKILL" in log
