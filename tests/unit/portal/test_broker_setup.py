"""`portal up` never changes a broker it was not pointed at: when the configured management API does not answer
it says what is wrong, and runs nothing against whatever broker the machine's default node is."""

import os
import socket
import stat
from pathlib import Path

import pytest

from portal.up import UpConfig, broker_admin


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_management_api_that_does_not_answer_is_reported_and_no_broker_is_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    called = tmp_path / "rabbitmq-plugins-was-run"
    fake = tmp_path / "bin" / "rabbitmq-plugins"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {called}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    port = closed_port()
    config = UpConfig(amqp_url=f"amqp://guest:guest@127.0.0.1:{closed_port()}/", management_url=f"http://127.0.0.1:{port}",
                      base_port=0, run_dir=tmp_path, database_url=None, simulator_delay=0.1, log_level="warning")

    with pytest.raises(RuntimeError) as refused:
        await broker_admin(config, within=1.0)

    assert not called.exists(), f"rabbitmq-plugins was run: {called.read_text()}"
    assert f"http://127.0.0.1:{port}" in str(refused.value)
    assert "PORTAL_MANAGEMENT_URL" in str(refused.value)
