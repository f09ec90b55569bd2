"""Spreading a RabbitMQ cluster's load again after a node returns: a returning node leads no quorum queue and holds
no client until told to. Queue leaders move with the broker's own rebalance; clients move by closing the excess
connections of the busiest nodes, which reconnect (robust connections) through the load balancer to the others."""

import math
from collections.abc import Mapping, Sequence
from urllib.parse import quote

import httpx

REASON = "rebalancing after a node returned"


def connections_to_close(per_node: Mapping[str, Sequence[str]], running: Sequence[str]) -> list[str]:
    """The connections to close so that no running node holds more than its fair share (rounded up); those on
    nodes that are not running are left to the broker."""
    live = {node: list(per_node.get(node, ())) for node in running}
    total = sum(len(names) for names in live.values())
    if not live or total == 0:
        return []
    fair = math.ceil(total / len(live))
    return [name for names in live.values() for name in sorted(names)[fair:]]


class ClusterRebalancer:
    def __init__(self, management_url: str, user: str, password: str, vhost: str | None = None) -> None:
        self._client = httpx.AsyncClient(base_url=management_url.rstrip("/") + "/api", auth=(user, password),
                                         timeout=30.0)
        self._vhost = vhost

    async def close(self) -> None:
        await self._client.aclose()

    async def running_nodes(self) -> list[str]:
        response = await self._client.get("/nodes", params={"columns": "name,running"})
        response.raise_for_status()
        return sorted(n["name"] for n in response.json() if n.get("running"))

    async def connections_per_node(self) -> dict[str, list[str]]:
        response = await self._client.get("/connections", params={"columns": "name,node,vhost"})
        response.raise_for_status()
        per_node: dict[str, list[str]] = {}
        for connection in response.json():
            if self._vhost is None or connection.get("vhost") == self._vhost:
                per_node.setdefault(str(connection["node"]), []).append(str(connection["name"]))
        return per_node

    async def leaders_per_node(self) -> dict[str, int]:
        path = "/queues" if self._vhost is None else f"/queues/{quote(self._vhost, safe='')}"
        response = await self._client.get(path, params={"columns": "name,type,leader,node"})
        response.raise_for_status()
        leaders: dict[str, int] = {}
        for queue in response.json():
            if queue.get("type") == "quorum":
                node = str(queue.get("leader") or queue.get("node"))
                leaders[node] = leaders.get(node, 0) + 1
        return leaders

    async def rebalance_leaders(self) -> None:
        response = await self._client.post("/rebalance/queues", json={})
        response.raise_for_status()

    async def spread_connections(self) -> int:
        closing = connections_to_close(await self.connections_per_node(), await self.running_nodes())
        for name in closing:
            response = await self._client.delete(f"/connections/{quote(name, safe='')}", headers={"X-Reason": REASON})
            if response.status_code != 404:  # gone meanwhile: nothing to move
                response.raise_for_status()
        return len(closing)
