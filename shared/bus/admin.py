"""Broker users and permissions through RabbitMQ's management API (the Topology Operator does this in k8s)."""

import re
from urllib.parse import quote, urlsplit

import httpx

from shared.bus.topology import FROM_MINISTRIES, ministry_broker_user, vhost_of

__all__ = ["BrokerAdmin", "BrokerAdminError", "vhost_of", "with_credentials"]


class BrokerAdminError(Exception):
    pass


def with_credentials(amqp_url: str, user: str, password: str) -> str:
    parts = urlsplit(amqp_url)
    host = parts.hostname or "127.0.0.1"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{host}{port}{parts.path or '/'}"


class BrokerAdmin:
    def __init__(self, management_url: str, user: str, password: str, vhost: str = "/") -> None:
        self._client = httpx.AsyncClient(base_url=management_url.rstrip("/") + "/api", auth=(user, password),
                                         timeout=10.0)
        self.vhost = vhost
        self._vhost = quote(vhost, safe="")

    async def close(self) -> None:
        await self._client.aclose()

    async def _put(self, path: str, body: dict[str, object]) -> None:
        response = await self._client.put(path, json=body)
        if response.status_code not in (200, 201, 204):
            raise BrokerAdminError(f"{path}: {response.status_code} {response.text[:200]}")

    async def answers(self) -> bool:
        try:
            return (await self._client.get("/overview")).status_code == 200
        except httpx.TransportError:
            return False

    async def ensure_vhost(self) -> None:
        await self._put(f"/vhosts/{self._vhost}", {})

    async def grant_admin(self, user: str) -> None:
        await self._put(f"/permissions/{self._vhost}/{quote(user, safe='')}",
                        {"configure": ".*", "write": ".*", "read": ".*"})

    async def delete_user(self, user: str) -> None:
        await self._client.delete(f"/users/{quote(user, safe='')}")

    async def delete_vhost(self) -> None:
        """The vhost, and the ministry users named for it (users outlive a vhost on the node)."""
        response = await self._client.get(f"/vhosts/{self._vhost}/permissions")
        users = {p["user"] for p in response.json()} if response.status_code == 200 else set()
        await self._client.delete(f"/vhosts/{self._vhost}")
        for user in sorted(users):
            if user.startswith("ministry-") and user.endswith(f"@{self.vhost}"):
                await self.delete_user(user)

    async def onboard_ministry(self, code: str, password: str) -> str:
        """A broker user that reads only its inbox and writes only `<code>.` keys on portal.from-ministries."""
        user = ministry_broker_user(code, self.vhost)
        await self._refuse_if_used_elsewhere(user)
        inbox = re.escape(f"ministry.{code}.inbox")
        await self._put(f"/users/{quote(user, safe='')}", {"password": password, "tags": ""})
        await self._put(f"/permissions/{self._vhost}/{quote(user, safe='')}",
                        {"configure": "^$", "write": f"^{re.escape(FROM_MINISTRIES)}$", "read": f"^{inbox}$"})
        await self._put(f"/topic-permissions/{self._vhost}/{quote(user, safe='')}",
                        {"exchange": FROM_MINISTRIES, "write": f"^{re.escape(code)}\\.", "read": ".*"})
        return user

    async def _refuse_if_used_elsewhere(self, user: str) -> None:
        """Rewriting the password of a user another vhost relies on would cut that portal's ministry off."""
        response = await self._client.get(f"/users/{quote(user, safe='')}/permissions")
        if response.status_code == 404:
            return
        if response.status_code != 200:
            raise BrokerAdminError(f"reading {user}'s permissions: {response.status_code} {response.text[:200]}")
        elsewhere = sorted({p["vhost"] for p in response.json()} - {self.vhost})
        if elsewhere:
            raise BrokerAdminError(f"broker user {user} already holds permissions on vhost(s) "
                                   f"{', '.join(elsewhere)}; refusing to change its password")
