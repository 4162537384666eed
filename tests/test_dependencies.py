"""What the production code imports is what setup.cfg's ``install_requires`` declares: a package
that arrives only with the test extras (or with another package) breaks a production install."""
from __future__ import annotations

import ast
import configparser
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ("emarket", "tasks", "web", "db", "celeryconfig.py")
OURS = {"emarket", "tasks", "web", "db", "celeryconfig"}
# Declared and never imported, on purpose: each is run as a program or loaded by another package.
NOT_IMPORTED = {
    "flower",  # `emarket up` and compose run it as a program
    "gunicorn",  # runs the web apps; web/common/gunicorn_conf.py is its configuration file
    "flask-openapi3-swagger",  # a plugin flask-openapi3 finds by its entry point
    "psycopg2-binary",  # SQLAlchemy's driver, named by the database URL
}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install_requires() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].splitlines()
    return {_normal(re.split(r"[\[<>=!~; ]", line.strip(), maxsplit=1)[0])
            for line in lines if line.strip() and not line.strip().startswith("#")}


def imported_modules() -> dict[str, str]:
    """Top-level third-party module -> one file importing it."""
    found: dict[str, str] = {}
    for root in PRODUCTION:
        path = ROOT / root
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            for node in ast.walk(ast.parse(file.read_text(), str(file))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in OURS:
                        found.setdefault(top, str(file.relative_to(ROOT)))
    return found


def test_every_production_import_is_declared_in_install_requires():
    declared = install_requires()
    owners = packages_distributions()
    undeclared = {module: where for module, where in imported_modules().items()
                  if not declared & {_normal(dist) for dist in owners.get(module, [module])}}
    assert not undeclared, f"imported by production code, missing from install_requires: {undeclared}"


def test_every_declared_dependency_is_imported_or_said_why_not():
    owners = packages_distributions()
    imported = {_normal(dist) for module in imported_modules() for dist in owners.get(module, [module])}
    unused = install_requires() - imported - NOT_IMPORTED
    assert not unused, f"declared in install_requires and imported nowhere: {sorted(unused)}"
