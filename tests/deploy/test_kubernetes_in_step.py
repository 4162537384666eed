"""deploy/kubernetes says what docker-compose.yml says: the same image, the same command for
each service and worker, a worker Deployment and a KEDA ScaledObject for every queue of
emarket/broker.py, the same probes, the RabbitMQ settings of deploy/rabbitmq/cluster.conf, and
only real EMARKET_* settings. Each workload also holds together: Services, budgets and scalers
select or target something that exists, and beat runs alone."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import yaml

from emarket import broker
from emarket.config import Settings, env_name
from tests.deploy import manifests

RESOURCES = manifests.build()
DEPLOYMENTS = manifests.of_kind(RESOURCES, "Deployment")
WORKLOADS = {**DEPLOYMENTS, **manifests.of_kind(RESOURCES, "Job")}
(CLUSTER,) = manifests.of_kind(RESOURCES, "RabbitmqCluster").values()
COMPOSE = yaml.safe_load((manifests.ROOT / "docker-compose.yml").read_text())["services"]
APP_SERVICES = {name: spec for name, spec in COMPOSE.items() if spec.get("image") == "emarket:latest"}
# Compose-only: a one-shot writing the JWT key pair into a volume; on Kubernetes the pair is the
# Secret emarket-jwt, made once by the installer (docs/cluster.md).
COMPOSE_ONLY = {"keys"}
SETTING_VARS = {env_name(field) for field in Settings.model_fields}
SECRETS_EXAMPLE = manifests.KUBERNETES / "secrets.env.example"
# A step's slowest part is one call to the bank (EMARKET_BANK_TIMEOUT, default 5 s): a pod must
# get well over that to finish its running step when it is stopped.
STEP_BOUND = 4 * Settings.model_fields["bank_timeout"].default


def worker_name(queue: str) -> str:
    return "worker-" + queue.replace("_", "-")


def test_one_image_as_in_compose():
    images = {manifests.container(w)["image"] for w in WORKLOADS.values()}
    assert images == {spec["image"] for spec in APP_SERVICES.values()} == {"emarket:latest"}
    assert CLUSTER["spec"]["image"] == COMPOSE["rabbitmq"]["image"]


def test_every_compose_service_runs_with_the_same_command():
    assert set(WORKLOADS) == set(APP_SERVICES) - COMPOSE_ONLY
    for name, workload in WORKLOADS.items():
        assert manifests.container(workload)["command"] == manifests.compose_command(APP_SERVICES[name]["command"]), name


@pytest.mark.parametrize("queue", broker.QUEUES)
def test_every_queue_has_a_probed_worker_and_a_scaler(queue):
    deployment = DEPLOYMENTS[worker_name(queue)]
    command = manifests.container(deployment)["command"]
    assert command[command.index("-Q") + 1] == queue
    probe = ["CMD", *manifests.container(deployment)["livenessProbe"]["exec"]["command"]]
    assert probe == COMPOSE[worker_name(queue)]["healthcheck"]["test"] == ["CMD", "emarket-probe", "worker", queue]
    assert manifests.pod_spec(deployment)["terminationGracePeriodSeconds"] > STEP_BOUND
    scaler = manifests.of_kind(RESOURCES, "ScaledObject")[worker_name(queue)]
    assert scaler["spec"]["scaleTargetRef"]["name"] == worker_name(queue)
    (trigger,) = scaler["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq" and trigger["metadata"]["queueName"] == queue
    assert trigger["metadata"]["vhostName"] == cluster_settings()["default_vhost"]
    assert trigger["authenticationRef"]["name"] in manifests.of_kind(RESOURCES, "TriggerAuthentication")


def test_no_worker_without_a_queue():
    workers = {name for name in DEPLOYMENTS if name.startswith("worker-")}
    assert workers == {worker_name(q) for q in broker.QUEUES}
    assert set(manifests.of_kind(RESOURCES, "ScaledObject")) == workers


def cluster_settings() -> dict[str, str]:
    return manifests.conf_settings(CLUSTER["spec"]["rabbitmq"]["additionalConfig"])


def test_rabbitmq_cluster_has_the_settings_of_cluster_conf():
    shared = manifests.conf_settings(manifests.CLUSTER_CONF.read_text())
    assert shared, "cluster.conf sets nothing"
    own = {key: value for key, value in cluster_settings().items() if key not in shared}
    assert {key: cluster_settings()[key] for key in shared} == shared
    assert set(own) == {"default_vhost"}, f"settings beyond cluster.conf: {own}"
    assert CLUSTER["spec"]["replicas"] == 3


def test_each_pod_reaches_the_broker_through_every_node():
    name = CLUSTER["metadata"]["name"]
    expected = [name] + [f"{name}-server-{i}.{name}-nodes" for i in range(CLUSTER["spec"]["replicas"])]
    for workload_name, workload in WORKLOADS.items():
        url = manifests.env_value(workload, "EMARKET_BROKER_URL")
        parts = [urlsplit(u) for u in url.split(";")]
        assert [p.hostname for p in parts] == expected, workload_name
        assert {p.path for p in parts} == {"/" + cluster_settings()["default_vhost"]}, workload_name
        defined = [e["name"] for e in manifests.container(workload)["env"]]
        assert defined.index("EMARKET_BROKER_URL") > max(defined.index("RABBITMQ_USERNAME"), defined.index("RABBITMQ_PASSWORD"))
        refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in manifests.container(workload)["env"] if "valueFrom" in e}
        assert refs == {f"{name}-default-user"}, workload_name  # the Secret the operator makes


def env_keys_of_example() -> set[str]:
    lines = [line for line in SECRETS_EXAMPLE.read_text().splitlines() if line and not line.startswith("#")]
    return {line.split("=", 1)[0] for line in lines}


def test_settings_are_real_and_cover_what_compose_sets():
    (config,) = manifests.of_kind(RESOURCES, "ConfigMap").values()
    pod_env = {e["name"] for w in WORKLOADS.values() for e in manifests.container(w).get("env", [])}
    given = set(config["data"]) | env_keys_of_example() | pod_env
    emarket = {key for key in given if key.startswith("EMARKET_")}
    assert not emarket - SETTING_VARS, sorted(emarket - SETTING_VARS)
    compose_env = {key for spec in APP_SERVICES.values() for key in (spec.get("environment") or {})}
    assert compose_env <= given, sorted(compose_env - given)
    assert not set(config["data"]) & env_keys_of_example(), "a setting in both the ConfigMap and the Secret"


def test_every_pod_reads_the_config_and_the_secret():
    for name, workload in WORKLOADS.items():
        sources = manifests.container(workload)["envFrom"]
        assert {"configMapRef": {"name": "emarket-config"}} in sources, name
        assert {"secretRef": {"name": "emarket-secrets"}} in sources, name


def test_beat_runs_alone():
    beat = DEPLOYMENTS["beat"]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "beat" not in manifests.of_kind(RESOURCES, "ScaledObject")


def labels_of(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict, workload: dict) -> bool:
    return selector.items() <= labels_of(workload).items()


def test_services_and_budgets_select_real_pods():
    for service in manifests.of_kind(RESOURCES, "Service").values():
        matched = [w for w in DEPLOYMENTS.values() if selects(service["spec"]["selector"], w)]
        assert len(matched) == 1, service["metadata"]["name"]
        port = service["spec"]["ports"][0]["targetPort"]
        assert port in {p["name"] for p in manifests.container(matched[0]).get("ports", [])}
    budgets = manifests.of_kind(RESOURCES, "PodDisruptionBudget")
    for name, budget in budgets.items():
        selector = budget["spec"]["selector"]["matchLabels"]
        assert name == CLUSTER["metadata"]["name"] or any(selects(selector, w) for w in DEPLOYMENTS.values()), name
        assert budget["spec"].get("maxUnavailable") == 1, name  # a one-replica workload can still be drained
    replicated = {name for name, d in DEPLOYMENTS.items() if d["spec"]["replicas"] > 1}
    assert replicated <= set(budgets)


def test_http_services_answer_on_their_settings_port():
    (config,) = manifests.of_kind(RESOURCES, "ConfigMap").values()
    for name in ("auth", "shop", "bank", "flower"):
        (port,) = manifests.container(DEPLOYMENTS[name])["ports"]
        assert str(port["containerPort"]) == config["data"][f"EMARKET_{name.upper()}_PORT"], name
        assert manifests.of_kind(RESOURCES, "Service")[name]["spec"]["ports"][0]["port"] == port["containerPort"]
    for name in ("auth", "bank"):  # the in-cluster URLs other services use: the Service's name and port
        assert config["data"][f"EMARKET_{name.upper()}_URL"] == f"http://{name}:{config['data'][f'EMARKET_{name.upper()}_PORT']}"


def test_only_auth_mounts_the_signing_key():
    holders = {name for name, w in WORKLOADS.items()
               if any(v.get("secret", {}).get("secretName") == "emarket-jwt" for v in manifests.pod_spec(w).get("volumes", []))}
    assert holders == {"auth"}
    assert manifests.env_value(DEPLOYMENTS["shop"], "EMARKET_JWKS_URL") == COMPOSE["shop"]["environment"]["EMARKET_JWKS_URL"]


def test_docs_name_every_file():
    doc = (manifests.ROOT / "docs" / "cluster.md").read_text()
    for path in [manifests.CLUSTER_CONF, SECRETS_EXAMPLE, *manifests.files()]:
        if path.name != "kustomization.yaml":
            assert path.name in doc, f"docs/cluster.md does not mention {path.name}"
