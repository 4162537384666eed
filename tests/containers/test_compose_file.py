"""docker-compose.yml (and the CI override) without a Docker engine: valid against the Compose
Specification's JSON schema, configured only through real EMARKET_* settings, every service
health-checked and started in health order, one worker per Celery queue."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

import celeryconfig
from emarket.config import Settings, env_name

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILES = [ROOT / "docker-compose.yml", ROOT / "docker" / "compose.ci.yml", ROOT / "docker" / "compose.ci-broker.yml",
                 ROOT / "docker" / "compose.cluster.yml", ROOT / "docker" / "compose.cluster-ci.yml"]
# The shared reference copy first; the vendored one (same file, Apache-2.0, compose-spec/compose-spec
# at 170098b) where the repository is checked out alone.
SCHEMAS = [ROOT.parent / "shared" / "schemas" / "compose-spec.json", Path(__file__).with_name("compose-spec.json")]
SETTING_VARS = {env_name(field) for field in Settings.model_fields}
HTTP_SERVICES = {"shop": "8000", "auth": "8001", "bank": "8002"}
ONE_SHOTS = {"keys", "migrate"}
INFRASTRUCTURE = {"postgres", "rabbitmq", "redis"}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return load(COMPOSE_FILES[0])


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def app_services(services: dict) -> dict:
    return {name: spec for name, spec in services.items() if name not in INFRASTRUCTURE}


def probe_module():
    spec = importlib.util.spec_from_file_location("emarket_probe", ROOT / "docker" / "probe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_validates_against_the_compose_specification(path):
    schema_path = next((p for p in SCHEMAS if p.is_file()), None)
    if schema_path is None:
        pytest.skip(f"no Compose schema at {' or '.join(map(str, SCHEMAS))}")
    schema = json.loads(schema_path.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(load(path)), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def environment_of(spec: dict) -> dict:
    env = spec.get("environment") or {}
    if isinstance(env, list):  # the KEY=VALUE list form
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_emarket_variable_is_a_real_setting(path):
    text = path.read_text()
    used = set()
    for spec in load(path)["services"].values():
        used |= {name for name in environment_of(spec) if name.startswith("EMARKET_")}
    interpolated = set(re.findall(r"\$\{(EMARKET_[A-Z0-9_]+)", text))  # ${EMARKET_X:-default}
    assert used, "no EMARKET_ variable set at all"
    assert not (used | interpolated) - SETTING_VARS, f"not settings: {sorted((used | interpolated) - SETTING_VARS)}"


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_each_service_environment_parses_as_settings(path, monkeypatch):
    """Every value has the type its setting wants (a port is an integer, …)."""
    for _name, spec in load(path)["services"].items():
        env = {k: v for k, v in environment_of(spec).items() if k.startswith("EMARKET_")}
        for key, value in env.items():
            # ${VAR:-default} is what Compose substitutes when the operator sets nothing.
            monkeypatch.setenv(key, re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", str(value)))
        Settings()
        for key in env:
            monkeypatch.delenv(key)


def test_every_service_has_a_health_check(services):
    for name, spec in services.items():
        check = spec.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_http_services_are_checked_on_health_ready(services):
    probe = probe_module()
    for name, port in HTTP_SERVICES.items():
        assert services[name]["healthcheck"]["test"] == ["CMD", "emarket-probe", name]
        assert probe.HTTP[name] == "/health/ready"
        command = " ".join(services[name]["command"])
        assert f"$${{EMARKET_{name.upper()}_PORT}}" in command
        assert "-c python:web.common.gunicorn_conf" in command  # metrics folder per service, JSON logs
        assert services[name]["ports"] == [f"{port}:{port}"]


def test_one_worker_per_queue_pinged_by_name(services):
    workers = {name: spec for name, spec in services.items() if "worker" in spec.get("command", [])}
    queues = {}
    for name, spec in workers.items():
        command = spec["command"]
        queue = command[command.index("-Q") + 1]
        assert command[command.index("-n") + 1] == f"{queue}@%h", name
        assert spec["healthcheck"]["test"] == ["CMD", "emarket-probe", "worker", queue], name
        queues[queue] = name
    assert sorted(queues) == sorted(celeryconfig.QUEUES)
    assert len(workers) == len(celeryconfig.QUEUES)


def test_beat_flower_and_migrations_are_there(services):
    commands = {name: " ".join(spec.get("command", [])) for name, spec in services.items()}
    assert "celery -A tasks beat" in commands["beat"]
    assert "celery -A tasks flower" in commands["flower"]
    assert commands["migrate"] == "sh -c emarket db upgrade && emarket broker setup"
    assert commands["keys"] == "emarket keys generate"


def test_rabbitmq_is_pinned_past_the_dead_letter_bug(services):
    # Countdowns travel by dead-lettering; 3.13.0-3.13.2 drop such messages (rabbitmq-server#11159).
    image = services["rabbitmq"]["image"]
    version = re.match(r"rabbitmq:(\d+)\.(\d+)\.(\d+)", image)
    assert version, f"{image}: pin a full version"
    assert tuple(map(int, version.groups())) >= (3, 13, 3)


def test_start_is_ordered_by_health(services):
    for name, spec in app_services(services).items():
        for dependency, rule in (spec.get("depends_on") or {}).items():
            wanted = "service_completed_successfully" if dependency in ONE_SHOTS else "service_healthy"
            assert rule == {"condition": wanted}, f"{name} → {dependency}: {rule}"
        if name not in ONE_SHOTS and name != "keys":
            assert "migrate" in (spec.get("depends_on") or {}), f"{name} may start before the migrations"
    assert services["shop"]["depends_on"]["auth"] == {"condition": "service_healthy"}  # it fetches the JWKS


def test_python_services_share_one_image_and_run_under_init(services):
    for name, spec in app_services(services).items():
        assert spec["image"] == "emarket:latest" and spec["build"] == ".", name
        assert spec.get("init") is True, f"{name}: Python must not be PID 1"


def test_only_auth_sees_the_private_key(services):
    holders = {name for name, spec in services.items() if any("jwt-keys" in v for v in spec.get("volumes", []))}
    assert holders == {"keys", "auth"}
    assert environment_of(services["shop"])["EMARKET_JWKS_URL"].startswith("http://auth:8001/")


def test_postgres_init_creates_the_three_databases(services):
    volume = next(v for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v)
    folder = ROOT / volume.split(":")[0]
    sql = " ".join(p.read_text() for p in sorted(folder.glob("*.sql")))
    for database in ("account", "emarket", "bank"):
        assert re.search(rf"CREATE DATABASE {database};", sql), database


def test_ci_override_puts_every_service_on_the_host_network(services):
    override = load(COMPOSE_FILES[1])["services"]
    broker = load(COMPOSE_FILES[2])["services"]  # the one-node run: the machine's RabbitMQ stand-in
    assert set(override) | set(broker) == set(services) and set(broker) == {"rabbitmq"}
    for name, spec in override.items():
        assert spec["network_mode"] == "host", name
        env = environment_of(spec)
        for setting in ("EMARKET_DB_ACCOUNT", "EMARKET_DB_EMARKET", "EMARKET_DB_BANK"):
            assert "emarket_ctest_" in env[setting], (name, setting)
        assert env["EMARKET_BROKER_URL"].endswith("/emarket_ctest"), name
        assert {env[f"EMARKET_{s}_PORT"] for s in ("SHOP", "AUTH", "BANK", "FLOWER")} == {"18000", "18001", "18002", "15555"}
    assert broker["rabbitmq"]["network_mode"] == "host"
    assert environment_of(broker["rabbitmq"])["EMARKET_BROKER_URL"] == environment_of(override["auth"])["EMARKET_BROKER_URL"]


def test_dockerfile_final_stage_is_slim_and_unprivileged():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert len(stages) >= 2, "not multi-stage"
    final = stages[-1]
    assert final.startswith("${PYTHON_IMAGE}") and "ARG PYTHON_IMAGE=python:3.11-slim" in text
    user = re.findall(r"^USER (\S+)", final, flags=re.M)
    assert user and user[-1] not in ("root", "0"), "the final stage must run as a non-root user"
    for tool in ("build-essential", "gcc", "apt-get install"):
        assert tool not in final, f"{tool} in the final stage"
    assert "--no-index --find-links" in text  # installs only the wheels the builder made
