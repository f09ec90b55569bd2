"""Broker users and permissions through RabbitMQ's management API (the Topology Operator does this in k8s)."""

import re
from urllib.parse import quote, unquote, urlsplit

import httpx

from shared.bus.topology import FROM_MINISTRIES, ministry_broker_user


class BrokerAdminError(Exception):
    pass


def vhost_of(amqp_url: str) -> str:
    path = urlsplit(amqp_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def with_credentials(amqp_url: str, user: str, password: str) -> str:
    parts = urlsplit(amqp_url)
    host = parts.hostname or "127.0.0.1"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{host}{port}{parts.path or '/'}"


class BrokerAdmin:
    def __init__(self, management_url: str, user: str, password: str, vhost: str = "/") -> None:
        self._client = httpx.AsyncClient(base_url=management_url.rstrip("/") + "/api", auth=(user, password),
                                         timeout=10.0)
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
        await self._client.delete(f"/vhosts/{self._vhost}")

    async def onboard_ministry(self, code: str, password: str) -> str:
        """A broker user that reads only its inbox and writes only `<code>.` keys on portal.from-ministries."""
        user = ministry_broker_user(code)
        inbox = re.escape(f"ministry.{code}.inbox")
        await self._put(f"/users/{quote(user, safe='')}", {"password": password, "tags": ""})
        await self._put(f"/permissions/{self._vhost}/{quote(user, safe='')}",
                        {"configure": "^$", "write": f"^{re.escape(FROM_MINISTRIES)}$", "read": f"^{inbox}$"})
        await self._put(f"/topic-permissions/{self._vhost}/{quote(user, safe='')}",
                        {"exchange": FROM_MINISTRIES, "write": f"^{re.escape(code)}\\.", "read": ".*"})
        return user
