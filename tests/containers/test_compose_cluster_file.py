"""The compose cluster option without a Docker engine: docker/compose.cluster.yml turns the
base file's one RabbitMQ node into three clustered nodes that all read deploy/rabbitmq/cluster.conf,
declares the queues only once the three are up, and gives every emarket service the failover
list of the three nodes starting from different nodes; docker/compose.cluster-ci.yml (what
scripts/compose-test runs) keeps that spread."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from kombu import Connection

ROOT = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
CLUSTER = yaml.safe_load((ROOT / "docker" / "compose.cluster.yml").read_text())["services"]
CLUSTER_CI = yaml.safe_load((ROOT / "docker" / "compose.cluster-ci.yml").read_text())["services"]
PEERS = ROOT / "docker" / "rabbitmq-cluster-peers.conf"
NODES = ["rabbitmq", "rabbitmq-2", "rabbitmq-3"]
CONF_D = "/etc/rabbitmq/conf.d/"
# Every emarket service that talks to the broker (keys only writes the key pair).
BROKER_USERS = {name for name, spec in BASE.items() if spec.get("image") == "emarket:latest"} - {"keys"}


def node_urls(url: str) -> list[str]:
    return url.split(";")


def merged(name: str) -> dict:
    """A service as Compose merges the base file and the cluster file (mappings key by key,
    volume lists appended: the cases used here)."""
    spec = {**BASE.get(name, {}), **CLUSTER.get(name, {})}
    if isinstance(BASE.get(name, {}).get("environment"), dict):
        spec["environment"] = {**BASE[name]["environment"], **CLUSTER.get(name, {}).get("environment", {})}
    spec["volumes"] = BASE.get(name, {}).get("volumes", []) + CLUSTER.get(name, {}).get("volumes", [])
    return spec


def test_three_nodes_share_one_image_cookie_and_configuration():
    specs = {name: merged(name) for name in NODES}
    assert {spec["image"] for spec in specs.values()} == {BASE["rabbitmq"]["image"]}
    assert len({spec["environment"]["RABBITMQ_ERLANG_COOKIE"] for spec in specs.values()}) == 1
    for name, spec in specs.items():
        mounts = {v.split(":")[1]: v.split(":")[0] for v in spec["volumes"] if v.startswith("./")}
        assert mounts[CONF_D + "20-emarket-cluster.conf"] == "./deploy/rabbitmq/cluster.conf", name
        assert mounts[CONF_D + "30-emarket-peers.conf"] == "./docker/rabbitmq-cluster-peers.conf", name
        assert any(v.endswith(":/var/lib/rabbitmq") for v in spec["volumes"]), f"{name} keeps no data"
        assert spec["healthcheck"]["test"] == BASE["rabbitmq"]["healthcheck"]["test"], name


def test_peer_list_names_the_three_nodes_by_host_name():
    peers = re.findall(r"^cluster_formation\.classic_config\.nodes\.\d+ = rabbit@(\S+)$", PEERS.read_text(), re.M)
    assert peers == [merged(name)["hostname"] for name in NODES] == NODES


def test_nodes_join_the_first_and_queues_wait_for_all_three():
    for name in NODES[1:]:
        assert CLUSTER[name]["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}
    wanted = {name: {"condition": "service_healthy"} for name in NODES}
    assert {**BASE["migrate"]["depends_on"], **CLUSTER["migrate"]["depends_on"]}.items() >= wanted.items()


@pytest.mark.parametrize("name", sorted(BROKER_USERS))
def test_every_service_gets_the_failover_list_of_the_three_nodes(name):
    url = CLUSTER[name]["environment"]["EMARKET_BROKER_URL"]
    base = urlsplit(BASE[name]["environment"]["EMARKET_BROKER_URL"])
    parts = [urlsplit(u) for u in node_urls(url)]
    assert sorted(p.hostname for p in parts) == NODES
    assert {(p.username, p.password, p.port, p.path) for p in parts} == {(base.username, base.password, base.port, base.path)}
    assert len(Connection(url).alt) == 3  # kombu (Celery's transport) reads it as three alternates


def test_consumers_start_on_different_nodes():
    first = {name: urlsplit(node_urls(CLUSTER[name]["environment"]["EMARKET_BROKER_URL"])[0]).hostname
             for name in BROKER_USERS}
    workers = [name for name in first if name.startswith("worker-")]
    assert {first[name] for name in workers} == set(NODES)
    assert set(first) == set(CLUSTER) - set(NODES)


def test_ci_variant_keeps_the_spread_on_loopback_ports():
    """compose.cluster-ci.yml: node i published on 127.0.0.1:2568i, each service's list in the
    same order as compose.cluster.yml's, so CI runs the spread operators get."""
    port_of = {}
    for index, name in enumerate(NODES, start=1):
        (published,) = CLUSTER_CI[name]["ports"]
        assert published == f"127.0.0.1:{25680 + index}:5672", name
        port_of[name] = 25680 + index
    for name in BROKER_USERS:
        cluster = [urlsplit(u).hostname for u in node_urls(CLUSTER[name]["environment"]["EMARKET_BROKER_URL"])]
        ci = [urlsplit(u) for u in node_urls(CLUSTER_CI[name]["environment"]["EMARKET_BROKER_URL"])]
        assert [u.port for u in ci] == [port_of[h] for h in cluster], name
        assert {u.hostname for u in ci} == {"127.0.0.1"}, name
