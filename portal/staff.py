"""Staff commands that talk to the portal through its gateway, as portal staff (admin)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from portal.onboarding import dev_token


class StaffError(Exception):
    pass


class StaffClient:
    def __init__(self, gateway: httpx.AsyncClient, token: str) -> None:
        self._gateway = gateway
        self._auth = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._gateway.request(method, path, headers=self._auth, **kwargs)
        if response.status_code >= 400:
            try:
                problem = response.json()
                detail = f"{problem.get('title', '')}: {problem.get('detail', '')}"
            except ValueError:
                detail = response.text[:300]
            raise StaffError(f"{method} {path} → {response.status_code} {detail}")
        return response.json()


@asynccontextmanager
async def staff_client(gateway_url: str, token: str | None) -> AsyncIterator[StaffClient]:
    """With no token, the development sign-in (only where the portal runs with PORTAL_DEV_AUTH=1)."""
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30.0) as gateway:
        yield StaffClient(gateway, token or await dev_token(gateway))
