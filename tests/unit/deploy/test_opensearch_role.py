"""The search service's OpenSearch role grants exactly what its adapter does: every request of the adapter's
life cycle (tests/unit/search/test_opensearch_spec.py), read as the security plugin's action names, and
nothing the adapter never asks for."""

from tests.unit.deploy.manifests import K8S, docs_of, named
from tests.unit.search.opensearch_spec import operation_for
from tests.unit.search.test_opensearch_spec import ALIAS, a_life_cycle

ROLE = K8S / "components" / "opensearch" / "opensearch.yaml"
# What OpenSearch's security plugin checks for each REST operation (its action names), and where:
# on the cluster, or on the indices and aliases the request names.
ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "PUT /_index_template/{name}": (("cluster", "indices:admin/index_template/put"),),
    "HEAD /{index}/_alias/{name}": (("index", "indices:admin/aliases/get"),),
    "GET /{index}/_alias": (("index", "indices:admin/aliases/get"),),
    "PUT /{index}": (("index", "indices:admin/create"),),
    "PUT /{index}/_mapping": (("index", "indices:admin/mapping/put"),),
    "DELETE /{index}": (("index", "indices:admin/delete"),),
    "POST /{index}/_refresh": (("index", "indices:admin/refresh"),),
    "POST /_aliases": (("index", "indices:admin/aliases"),),
    "GET /{index}/_doc/{id}": (("index", "indices:data/read/get"),),
    "POST /{index}/_search": (("index", "indices:data/read/search"),),
    "POST /{index}/_count": (("index", "indices:data/read/search"),),
    # An update that finds no document indexes the upsert.
    "POST /{index}/_update/{id}": (("index", "indices:data/write/update"), ("index", "indices:data/write/index")),
    "POST /_bulk": (("cluster", "indices:data/write/bulk"), ("index", "indices:data/write/bulk[s]"),
                    ("index", "indices:data/write/update"), ("index", "indices:data/write/index")),
}


async def test_the_role_grants_exactly_the_actions_the_adapter_takes_on_the_portals_indices() -> None:
    sent = await a_life_cycle()
    needed = {action for s in sent for action in ACTIONS[operation_for(s.method, s.path)]}
    role = named(docs_of(ROLE), "OpensearchRole", "portal-search")["spec"]
    [indices] = role["indexPermissions"]

    granted = {("cluster", a) for a in role["clusterPermissions"]} | {("index", a) for a in indices["allowedActions"]}

    assert granted == needed
    assert indices["indexPatterns"] == [f"{ALIAS}*"]


async def test_every_index_and_alias_the_adapter_names_is_one_the_role_covers() -> None:
    sent = await a_life_cycle()
    named_indices = {s.path.split("/")[1] for s in sent if not s.path.startswith("/_")}
    named_indices |= {item.get("update", {}).get("_index", "") for s in sent if s.path == "/_bulk" for item in s.body}
    named_indices |= {action[kind][key] for s in sent if s.path == "/_aliases" for action in s.body["actions"]
                      for kind in action for key in ("index", "alias")}

    assert {name for name in named_indices if name} and all(
        name.replace("%2A", "*").startswith(ALIAS) for name in named_indices if name)
