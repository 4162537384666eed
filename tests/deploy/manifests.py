"""deploy/kubernetes read as Kubernetes would get it, without kubectl: the kustomization's
resources (files, and folders with their own kustomization.yaml) with its namespace set, as
`kubectl kustomize` builds it (the kustomizations are plain resources lists, nothing to
transform; test_kubernetes_manifests.py compares with kubectl's build where kubectl exists).
Also the vendored CRD schemas, made strict as the API server is with field validation on."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
CLUSTER_CONF = ROOT / "deploy" / "rabbitmq" / "cluster.conf"
SCHEMAS = Path(__file__).with_name("schemas")
# Kinds that live outside any namespace: kustomize leaves them without one.
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
# The custom resources used here -> their vendored schema (schemas/README.md says from where).
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject-keda.sh-v1alpha1.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "triggerauthentication-keda.sh-v1alpha1.json",
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): "rabbitmqcluster-rabbitmq.com-v1beta1.json",
}
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "namespace", "resources"}


def build(folder: Path = KUBERNETES) -> list[dict]:
    """Every resource of the kustomization in ``folder``, in order, namespaced."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KUSTOMIZATION_KEYS
    if unknown:  # a patch or generator would change what this reader returns
        raise ValueError(f"{folder}/kustomization.yaml: this reader knows no {sorted(unknown)}")
    resources = []
    for entry in kustomization["resources"]:
        path = folder / entry
        if path.is_dir():
            resources += build(path)
        else:
            resources += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    namespace = kustomization.get("namespace")
    if namespace:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource.setdefault("metadata", {})["namespace"] = namespace
    return resources


def files(folder: Path = KUBERNETES) -> list[Path]:
    """Every YAML file under deploy/kubernetes, kustomizations included."""
    return sorted(folder.rglob("*.yaml"))


def of_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def container(workload: dict) -> dict:
    (only,) = pod_spec(workload)["containers"]  # one process per pod, as in the compose file
    return only


def env_value(workload: dict, name: str) -> str | None:
    return next((e.get("value") for e in container(workload).get("env", []) if e["name"] == name), None)


def conf_settings(text: str) -> dict[str, str]:
    """``key = value`` lines of a rabbitmq.conf (comments and blank lines skipped)."""
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, value = (part.strip() for part in line.split("=", 1))
            settings[key] = value
    return settings


def crd_schema(api_version: str, kind: str) -> dict:
    """The vendored openAPIV3Schema, strict: an object that declares its properties takes no
    other field (the API server would prune an unknown one silently, hiding a typo)."""
    schema = json.loads((SCHEMAS / CRD_SCHEMAS[(api_version, kind)]).read_text())
    return _strict(schema)


def _strict(node):
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def compose_command(command: list[str]) -> list[str]:
    """A compose command as the container gets it: Compose turns ``$$`` into ``$``."""
    return [re.sub(r"\$\$", "$", part) for part in command]
