"""Schemathesis, an outside fuzzer, through the gateway's public /openapi.json against a running portal.

As a citizen, as a ministry's API key and as a portal admin: no server error, and every answer conforms to the
documented status codes, media types, headers and schemas. The seed is printed (and PORTAL_FUZZ_SEED replays it).
"""

import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import require_service
from tests.e2e.conftest import BASE_PORT, LaunchedPortal, RunningPortal, early_portal, launch_portal

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance")
# Bounded: a few examples per operation and phase, and a time budget per caller.
EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "4"))
BUDGET_SECONDS = int(os.environ.get("PORTAL_FUZZ_SECONDS", "75"))
STAFF_PATHS = "^/api/v1/(ministry|admin)/"
# The fuzzer is one caller sending hundreds of requests a minute: the limits a script meets would hide the API.
UNTHROTTLED = {f"GATEWAY_{kind}": "1000000" for kind in (
    "RATE_PER_ADDRESS", "BURST_PER_ADDRESS", "RATE_PER_CITIZEN", "BURST_PER_CITIZEN", "RATE_PER_API_KEY",
    "BURST_PER_API_KEY")} | {"GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "60"}


def launch_fuzzed_portal(run_dir: Path) -> LaunchedPortal:
    # Its own ports (BASE_PORT + 300): it may run beside the browser tier's portal (18200 by default).
    return launch_portal(run_dir, BASE_PORT + 300, extra_env=UNTHROTTLED)


@pytest.fixture(scope="module")
def fuzzed_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPortal]:
    """A portal of its own: the fuzzer writes services, ministries and calendar changes nobody else expects."""
    require_service("RabbitMQ", "127.0.0.1", 5672)
    require_service("RabbitMQ management API", "127.0.0.1", 15672)
    yield from early_portal("fuzzed", lambda: launch_fuzzed_portal(tmp_path_factory.mktemp("fuzzed-portal")))


def token(portal: RunningPortal, **claims: str) -> str:
    response = httpx.post(f"{portal.url}/api/v1/auth/dev-token", json={"national_id": "12345678", "name": "Aisha",
                                                                        "lang": "en"} | claims, timeout=10)
    return str(response.json()["access_token"])


def schemathesis(portal: RunningPortal, credential: str, seed: int, report: Path, *selection: str
                 ) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "st"), "run", f"{portal.url}/openapi.json", "--checks", CHECKS,
               "--phases", "examples,coverage,fuzzing", "--max-examples", str(EXAMPLES), "--seed", str(seed),
               "--max-time", str(BUDGET_SECONDS), "--workers", "1", "--request-timeout", "20",
               "--suppress-health-check", "all", "--no-color", "--output-truncate", "true",
               "-H", f"Authorization: Bearer {credential}", *selection]
    # Its own directory: schemathesis keeps a cache (.schemathesis/) where it runs.
    return subprocess.Popen(command, stdout=report.open("wb"), stderr=subprocess.STDOUT, cwd=report.parent)


def generated_cases(output: str) -> int:
    found = re.search(r"(\d+) generated", output)
    return int(found.group(1)) if found else 0


def test_the_public_contract_holds_under_an_outside_fuzzer(fuzzed_portal: RunningPortal, tmp_path: Path,
                                                           request: pytest.FixtureRequest) -> None:
    seed = int(os.environ.get("PORTAL_FUZZ_SEED") or random.randrange(2**31))
    ministry_key = json.loads((fuzzed_portal.run_dir / "ministries" / "rop.json").read_text())["api_key"]
    callers = {
        "citizen": (token(fuzzed_portal), "--exclude-path-regex", STAFF_PATHS),
        "ministry": (ministry_key, "--include-path-regex", "^/api/v1/ministry/"),
        "admin": (token(fuzzed_portal, role="admin"), "--include-path-regex", "^/api/v1/admin/"),
    }
    started = time.monotonic()
    runs = {who: schemathesis(fuzzed_portal, credential, seed, tmp_path / f"{who}.txt", *selection)
            for who, (credential, *selection) in callers.items()}
    codes = {who: run.wait(timeout=BUDGET_SECONDS + 120) for who, run in runs.items()}
    outputs = {who: (tmp_path / f"{who}.txt").read_text(errors="replace") for who in runs}
    cases = {who: generated_cases(text) for who, text in outputs.items()}
    summary = (f"schemathesis seed {seed} (replay: PORTAL_FUZZ_SEED={seed}): {sum(cases.values())} cases "
               f"{cases} in {time.monotonic() - started:.0f}s")
    request.node.user_properties.append(("summary:outside fuzzer", summary))
    failed = {who: outputs[who][-6000:] for who, code in codes.items() if code != 0}
    assert not failed, summary + "\n" + "\n\n".join(f"--- as {who} ---\n{text}" for who, text in failed.items())
    assert all(cases.values()), summary
