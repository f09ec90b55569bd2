"""The requests service's process holds what serving needs: learning (numpy, pandas, statsmodels) runs in a child
process, and the working calendar reads its table of Oman's holidays rather than loading the holidays package
(issue 23: idle memory per service)."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

LEARNING_AND_CALENDAR = ("numpy", "pandas", "scipy", "statsmodels", "holidays")

# Started, migrated, then asked to retrain, for a year's calendar and for the public KPIs, in a process of its own
# (this one has imported the libraries for other tests).
SERVE = """
import asyncio, json, sys
import httpx
from asgi_lifespan import LifespanManager
from services.requests.app import create_app
from services.requests.config import Settings
from shared.auth import Identity, IdentitySigner, generate_keypair

async def main() -> None:
    private, public = generate_keypair()
    app = create_app(Settings(database_url=sys.argv[1], amqp_url="memory://footprint", identity_public_key=public,
                              catalog_url="http://127.0.0.1:9", renewal_scan_seconds=0, log_level="warning"))
    staff = {"x-portal-identity": IdentitySigner(private).sign(Identity(subject="staff-1", role="admin"))}
    async with (LifespanManager(app, startup_timeout=60),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client):
        answers = [(await client.post("/api/v1/admin/insights/retrain", headers=staff)).status_code,
                   (await client.get("/api/v1/admin/calendar", params={"year": 2026}, headers=staff)).status_code,
                   (await client.get("/api/v1/performance")).status_code]
    loaded = sorted(m for m in sys.argv[2].split(",") if m in sys.modules)
    print(json.dumps({"answers": answers, "loaded": loaded}))

asyncio.run(main())
"""


def test_the_requests_service_retrains_and_counts_working_days_without_loading_the_learning_libraries(
        database_url: str) -> None:
    done = subprocess.run([sys.executable, "-c", SERVE, database_url, ",".join(LEARNING_AND_CALENDAR)],
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["answers"] == [200, 200, 200]
    assert found["loaded"] == [], "the serving process grows by what it loads and never gives it back"
