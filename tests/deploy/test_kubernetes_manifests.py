"""deploy/kubernetes is valid offline: every resource against the Kubernetes API's own schema
(kubernetes-validate, strict: no unknown field) or, for the operators' custom resources, the
CRD schema vendored beside this file; and the kustomization builds what kubectl would build."""
from __future__ import annotations

import shutil
import subprocess

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy import manifests

KUBERNETES_VERSION = "1.30"  # the oldest release still maintained when these were written
RESOURCES = manifests.build()


def resource_id(resource: dict) -> str:
    return f"{resource['kind']}/{resource['metadata']['name']}"


@pytest.mark.parametrize("resource", RESOURCES, ids=resource_id)
def test_each_resource_is_valid(resource):
    key = (resource["apiVersion"], resource["kind"])
    if key in manifests.CRD_SCHEMAS:
        validator = jsonschema.Draft7Validator(manifests.crd_schema(*key))
        errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(resource)]
        assert not errors, "\n".join(errors)
    else:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_every_kind_has_a_schema():
    """A kind kubernetes-validate does not know would pass unchecked: each must be known."""
    for resource in RESOURCES:
        if (resource["apiVersion"], resource["kind"]) in manifests.CRD_SCHEMAS:
            continue
        try:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(f"no schema for {resource['apiVersion']} {resource['kind']}")


def test_strict_schemas_catch_a_misspelt_field():
    """The checks above could fail: a typo in a custom resource and in a Deployment is caught."""
    scaled = dict(next(r for r in RESOURCES if r["kind"] == "ScaledObject"))
    scaled["spec"] = {**scaled["spec"], "minReplicas": 1}
    schema = manifests.crd_schema(scaled["apiVersion"], scaled["kind"])
    assert not jsonschema.Draft7Validator(schema).is_valid(scaled)
    deployment = yaml.safe_load(yaml.safe_dump(next(r for r in RESOURCES if r["kind"] == "Deployment")))
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 60
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_every_file_is_part_of_the_kustomization():
    """A manifest left out of kustomization.yaml would never be installed (nor validated)."""
    listed = set()

    def walk(folder):
        listed.add(folder / "kustomization.yaml")
        for entry in yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]:
            path = folder / entry
            walk(path) if path.is_dir() else listed.add(path)

    walk(manifests.KUBERNETES)
    assert set(manifests.files()) == listed


def test_names_are_unique_per_kind():
    seen = [(r["kind"], r["metadata"]["name"]) for r in RESOURCES]
    assert len(seen) == len(set(seen))


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_builds_the_same():
    built = subprocess.run(["kubectl", "kustomize", str(manifests.KUBERNETES)],
                           capture_output=True, text=True, check=True, timeout=60).stdout
    by_kubectl = sorted(yaml.safe_dump(doc, sort_keys=True) for doc in yaml.safe_load_all(built) if doc)
    by_us = sorted(yaml.safe_dump(doc, sort_keys=True) for doc in RESOURCES)
    assert by_kubectl == by_us
