"""One list of ministries drives each ministry's broker topology, worker and KEDA scaling, and nothing else."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from shared.bus.topology import FROM_MINISTRIES, from_ministry, ministry_inbox
from tests.unit.deploy.manifests import (
    K8S,
    OVERLAYS,
    REPO,
    RUN_AS,
    Obj,
    containers,
    env_of,
    kubernetes_validate,
    load_generator,
    named,
    of_kind,
    parse,
    pod_spec,
)

generate = load_generator()


@pytest.fixture(scope="module")
def listed() -> list[str]:
    return [ministry.code for ministry in generate.read_ministries()]


def workers(objects: list[Obj]) -> list[Obj]:
    return [d for d in of_kind(objects, "Deployment") if d["metadata"]["name"].startswith("requests-worker-")]


def test_the_generated_manifests_are_up_to_date_with_the_list_and_the_bus_topology() -> None:
    errors = io.StringIO()
    with redirect_stderr(errors):
        stale = generate.main(["--check"])
    assert stale == 0, f"run .venv/bin/python deploy/k8s/generate.py:\n{errors.getvalue()}"


def test_every_seeded_ministry_is_in_the_list(listed: list[str]) -> None:
    seeded = json.loads((REPO / "portal" / "seed" / "ministries.json").read_text(encoding="utf-8"))
    assert {ministry["code"] for ministry in seeded} <= set(listed)


def test_every_listed_ministry_has_its_worker_and_a_scaled_object_on_its_own_queue_and_no_other(
        production: list[Obj], listed: list[str]) -> None:
    by_ministry = {d["metadata"]["labels"]["portal.gov.om/ministry"]: d for d in workers(production)}
    assert sorted(by_ministry) == sorted(listed)
    scaled = of_kind(production, "ScaledObject")
    assert len(scaled) == len(listed)
    for code in listed:
        (scaler,) = [s for s in scaled if s["spec"]["scaleTargetRef"]["name"] == f"requests-worker-{code}"]
        (trigger,) = scaler["spec"]["triggers"]
        assert trigger["type"] == "rabbitmq"
        assert trigger["metadata"]["queueName"] == from_ministry(code).name
        assert trigger["metadata"]["mode"] == "QueueLength"
        assert trigger["metadata"]["vhostName"] == "portal"
        assert trigger["authenticationRef"] == {"name": "portal-broker-keda"}
        (container,) = containers(by_ministry[code])
        assert container["command"] == ["portal", "requests-worker", "--ministries", code,
                                        "--host", "0.0.0.0", "--port", "8080"]


def test_a_ministry_worker_never_runs_two_consumers_on_its_queue(production: list[Obj]) -> None:
    # The bus applies a ministry's events one at a time to keep their order; a second replica would race.
    for scaler in of_kind(production, "ScaledObject"):
        assert scaler["spec"]["maxReplicaCount"] == 1
        assert scaler["spec"]["minReplicaCount"] in (0, 1)


def test_workers_keep_out_of_the_dead_letter_desk_and_the_catalogue_cache(production: list[Obj]) -> None:
    for worker in workers(production):
        (container,) = containers(worker)
        env = env_of(container)
        assert env["REQUESTS_DEAD_LETTER_DESK"]["value"] == "false"
        assert env["REQUESTS_CONSUME_CATALOGUE"]["value"] == "false"


def test_workers_get_the_same_secrets_and_config_as_the_requests_service(production: list[Obj]) -> None:
    (api,) = containers(named(production, "Deployment", "requests"))
    shared = {name: var for name, var in env_of(api).items() if name != "REQUESTS_CONSUME_MINISTRIES"}
    for worker in workers(production):
        (container,) = containers(worker)
        env = env_of(container)
        for name, var in shared.items():
            assert env[name] == var, f"{worker['metadata']['name']} {name}"
        assert container["image"] == api["image"]
        assert pod_spec(worker)["securityContext"]["runAsUser"] == RUN_AS


def test_the_requests_api_leaves_ministry_queues_to_the_workers_only_where_workers_run(
        overlays: dict[str, list[Obj]]) -> None:
    production_api = env_of(containers(named(overlays["production"], "Deployment", "requests"))[0])
    assert production_api["REQUESTS_CONSUME_MINISTRIES"] == {"name": "REQUESTS_CONSUME_MINISTRIES", "value": "false"}
    dev_api = env_of(containers(named(overlays["dev"], "Deployment", "requests"))[0])
    assert "REQUESTS_CONSUME_MINISTRIES" not in dev_api
    assert workers(overlays["dev"]) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_listed_ministry_has_its_queues_broker_user_and_rights_and_no_one_else_has(
        overlay: str, overlays: dict[str, list[Obj]], listed: list[str]) -> None:
    objects = overlays[overlay]
    ministry_users = sorted(u["metadata"]["name"] for u in of_kind(objects, "User")
                            if u["metadata"]["name"].startswith("ministry-"))
    assert ministry_users == sorted(f"ministry-{code}" for code in listed)
    queues = {q["spec"]["name"]: q for q in of_kind(objects, "Queue")}
    bindings = {(b["spec"]["source"], b["spec"]["destination"], b["spec"]["routingKey"])
                for b in of_kind(objects, "Binding")}
    for code in listed:
        for spec in (ministry_inbox(code), from_ministry(code)):
            queue = queues[spec.name]
            arguments = {**queue["spec"]["arguments"], "x-queue-type": queue["spec"]["type"]}
            assert arguments == spec.arguments(), spec.name
            for binding in spec.bindings:
                assert (binding.exchange, spec.name, binding.routing_key) in bindings
        user = named(objects, "User", f"ministry-{code}")
        assert user["spec"]["importCredentialsSecret"] == {"name": f"ministry-{code}-broker"}
        rights = named(objects, "Permission", f"ministry-{code}")["spec"]
        assert rights["userReference"] == {"name": f"ministry-{code}"}
        assert rights["permissions"]["configure"] == "^$"
        topic = named(objects, "TopicPermission", f"ministry-{code}")["spec"]
        assert topic["permissions"]["exchange"] == FROM_MINISTRIES
        assert topic["permissions"]["write"] == f"^{code}\\."


def test_the_onboarding_job_of_a_listed_ministry_is_a_locked_down_one_shot_job(tmp_path: Path) -> None:
    out = io.StringIO()
    image = f"registry.portal.gov.om/gov-portal@sha256:{'a' * 64}"
    with redirect_stdout(out):
        status = generate.main(["onboard-job", "rop", "--image", image])
    assert status == 0
    (job,) = parse(out.getvalue())
    assert kubernetes_validate([job], tmp_path) == ""
    assert job["metadata"]["namespace"] == "gov-portal"
    assert job["spec"]["backoffLimit"] == 0
    spec = job["spec"]["template"]["spec"]
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    (container,) = spec["containers"]
    assert container["command"][:4] == ["portal", "ministry", "onboard", "rop"]
    assert "--no-broker-user" in container["command"]
    assert container["command"][container["command"].index("--name-en") + 1] == "Royal Oman Police"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert env_of(container)["PORTAL_ADMIN_TOKEN"]["valueFrom"] == {
        "secretKeyRef": {"name": "portal-admin-token", "key": "token"}}


def test_an_unlisted_ministry_gets_no_onboarding_job() -> None:
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        assert generate.main(["onboard-job", "nosuch", "--image", "x"]) == 2


@pytest.mark.parametrize("line", [
    "rop | Royal Oman Police",
    "ROP | Royal Oman Police | شرطة عمان السلطانية",
    "rop | Royal Oman Police | شرطة\nrop | Royal Oman Police | شرطة",
])
def test_a_malformed_or_duplicate_line_is_refused(line: str, tmp_path: Path) -> None:
    path = tmp_path / "ministries.txt"
    path.write_text(f"# comment\n{line}\n", encoding="utf-8")
    with pytest.raises(generate.ListError):
        generate.read_ministries(path)


def test_the_ministry_list_is_where_the_readme_says() -> None:
    assert generate.MINISTRIES_FILE == K8S / "ministries.txt"
    assert "deploy/k8s/ministries.txt" in (K8S / "README.md").read_text(encoding="utf-8")


ONLY_STDLIB_AND_PYYAML = """
import runpy, sys
allowed = set(sys.stdlib_module_names) | {"yaml", "_yaml", "k8s_bus", "k8s_topology", "k8s_workloads",
                                          "gov_portal_bus_topology", "__main__"}
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in allowed:
            raise ImportError(f"generate.py imported {name}")
sys.meta_path.insert(0, Refuse())
sys.argv = ["generate.py", "--check"]
runpy.run_path("deploy/k8s/generate.py", run_name="__main__")
"""


def test_the_generator_checks_its_files_with_pyyaml_alone() -> None:
    done = subprocess.run([sys.executable, "-c", ONLY_STDLIB_AND_PYYAML], cwd=REPO, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_worker_scaledobject_and_onboarding_job_come_from_templates_ops_can_edit() -> None:
    templates = {path.name for path in (K8S / "templates").glob("*.yaml")}
    assert templates == {"requests-worker.yaml", "scaledobject.yaml", "onboarding-job.yaml"}
    for name in templates:
        assert "${code}" in (K8S / "templates" / name).read_text(encoding="utf-8")
    assert "def worker_deployment" in (K8S / "k8s_workloads.py").read_text(encoding="utf-8")
    assert "containers" not in (K8S / "k8s_workloads.py").read_text(encoding="utf-8")
