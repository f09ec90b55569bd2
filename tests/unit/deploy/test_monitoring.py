"""Prometheus scrapes every portal process and the broker, and the alerts watch what the issue asks for."""

from __future__ import annotations

import re

from tests.unit.deploy.manifests import K8S, REPO, SERVICES, Obj, named, of_kind

ALERTS = {
    # a ministry's queue depth growing
    "PortalMinistryBacklogGrowing", "PortalMinistryWorkerNotConsuming", "MinistryInboxBacklogGrowing",
    # dead letters arriving
    "PortalDeadLettersArriving", "BrokerDeadLettersArriving", "PortalDeadLetterDeskDown",
    # SLA breaches rising, requests that stopped moving
    "PortalSlaBreachesRising", "PortalRequestsStalled",
    # the broker taking no writes, the outbox not draining
    "PortalOutboxNotDraining", "PortalBrokerRefusingWrites",
    # a service not ready
    "PortalServiceNotReady", "PortalGatewayDown", "PortalMetricsMissing",
}
# Where each metric an alert reads comes from.
EXPORTERS = {
    "rabbitmq_queue_messages": "rabbitmq_prometheus plugin, /metrics/per-object",
    "rabbitmq_queue_consumers": "rabbitmq_prometheus plugin, /metrics/per-object",
    "rabbitmq_global_messages_dead_lettered_delivery_limit_total": "rabbitmq_prometheus plugin",
    "rabbitmq_global_messages_dead_lettered_rejected_total": "rabbitmq_prometheus plugin",
    "portal_bus_dead_lettered_total": "the services (shared/bus/rabbit/consumers.py)",
    "portal_requests_overdue": "the requests service (a gauge per ministry)",
    "portal_requests_stalled": "the requests service (a gauge per ministry, services/requests/watch.py)",
    "portal_outbox_oldest_pending_seconds": "every service's outbox relay (shared/db/outbox.py)",
    "portal_bus_publish_failing_since_timestamp_seconds": "every service's bus adapter (shared/bus/health.py)",
    "kube_deployment_status_replicas_unavailable": "kube-state-metrics",
    "kube_deployment_status_replicas_available": "kube-state-metrics",
    "up": "Prometheus",
}
KEYWORDS = {"by", "and", "or", "unless", "offset", "without", "on", "ignoring"}


def rules(objects: list[Obj]) -> dict[str, dict[str, str]]:
    (rule_set,) = of_kind(objects, "PrometheusRule")
    return {rule["alert"]: rule for group in rule_set["spec"]["groups"] for rule in group["rules"]}


def metrics_in(expr: str) -> set[str]:
    names = set()
    for prefix, options, suffix in re.findall(r'__name__=~"([a-z_]+)\(([a-z_|]+)\)([a-z_]+)"', expr):
        names |= {prefix + option + suffix for option in options.split("|")}
    text = re.sub(r"\{[^}]*\}", " ", expr)  # label matchers
    text = re.sub(r'"[^"]*"', " ", text)  # label_replace's arguments
    text = re.sub(r"\bby \([^)]*\)", " ", text)  # grouping labels
    text = re.sub(r"\[[^\]]*\]|\boffset \w+", " ", text)  # ranges and offsets
    for word, call in re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\b(\s*\()?", text):
        if not call and word not in KEYWORDS:
            names.add(word)
    return names


def test_every_service_and_every_worker_is_scraped_on_its_metrics_port(production: list[Obj]) -> None:
    monitor = named(production, "ServiceMonitor", "portal-services")
    (expression,) = monitor["spec"]["selector"]["matchExpressions"]
    assert set(expression["values"]) == set(SERVICES) - {"gateway"}
    assert monitor["spec"]["endpoints"][0]["port"] == "http"
    gateway = named(production, "PodMonitor", "gateway")
    assert gateway["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    workers = named(production, "PodMonitor", "requests-workers")
    assert workers["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "requests-worker"}


def test_the_broker_is_scraped_per_queue(production: list[Obj]) -> None:
    broker = named(production, "PodMonitor", "portal-broker")
    assert broker["spec"]["podMetricsEndpoints"][0]["port"] == "prometheus"
    assert broker["spec"]["podMetricsEndpoints"][0]["path"] == "/metrics/per-object"


def test_monitors_and_rules_carry_the_label_prometheus_selects(production: list[Obj]) -> None:
    for kind in ("ServiceMonitor", "PodMonitor", "PrometheusRule"):
        for obj in of_kind(production, kind):
            assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_alerts_watch_queue_depth_dead_letters_sla_breaches_and_readiness(production: list[Obj]) -> None:
    assert set(rules(production)) == ALERTS
    for alert, rule in rules(production).items():
        assert rule["labels"]["severity"] in ("warning", "critical"), alert
        assert rule["annotations"]["runbook"] == f"deploy/k8s/README.md#{alert.lower()}"


def test_alerts_read_only_metrics_an_exporter_of_ours_provides(production: list[Obj]) -> None:
    used = set().union(*(metrics_in(rule["expr"]) for rule in rules(production).values()))
    assert used <= set(EXPORTERS), f"unknown metrics: {used - set(EXPORTERS)}"
    source = "\n".join(path.read_text(encoding="utf-8") for path in (REPO / "shared").rglob("*.py"))
    assert '"portal_bus_dead_lettered_total"' in source


def test_every_alert_has_a_section_in_the_readme_saying_what_to_do(production: list[Obj]) -> None:
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip() for line in readme.splitlines() if line.startswith("#")}
    for alert in rules(production):
        assert alert in headings, f"README.md has no section {alert}"
