"""The house's imports, read from the code (grimp, the graph behind import-linter): no module
reaches itself again through others, and every arrow between the packages points down a floor.

    web       the shop, auth and bank apps
    tasks     the Celery app and the workers' task modules (celeryconfig beside them)
    emarket   the business
    db        models, engines and sessions, the unit of work, migrations

An import may go down any number of floors, never up, but for the one arrow written here: the
Alembic env reading the settings (``db.migrations.env*`` → ``emarket.config``; allowed whether
or not it exists). The web stands above tasks because whatever moves an order goes through the
saga (docs/architecture.md): it may import the Celery app, the chains it starts, the
request-reply tasks it waits on and the saga's figures it serves (``WEB_USES_OF_TASKS``),
nothing else of ``tasks``. Function-level imports count like any other: a circle dodged by a
deferred import is still a circle.
"""
from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {"db": 0, "emarket": 1, "tasks": 2, "web": 3}
# (importer, imported) patterns of the imports allowed to run back up a floor; at most one such import.
UP_ALLOWED = (("db.migrations.env*", "emarket.config"), ("db.migrations.*.env*", "emarket.config"))
WEB_USES_OF_TASKS = {
    "tasks.celery_app": "the app, to send a task by its name",
    "tasks.chains": "the phases the saga client starts",
    "tasks.order": "order.cancel_by_user, a request-reply",
    "tasks.redrive": "saga.resume, the console's request-reply",
    "tasks.metrics": "the saga's figures the shop's /metrics serves",
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*FLOORS, cache_dir=None)


def imports(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    return {(importer, imported) for importer in graph.modules
            for imported in graph.find_modules_directly_imported_by(importer)}


def floor(module: str) -> int:
    return FLOORS[module.split(".", 1)[0]]


def where(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    lines = [d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)]
    return f"{importer}:{min(lines)}" if lines else importer


def test_the_graph_holds_the_house(graph):
    assert {"tasks.order", "tasks.chains", "web.shop.saga_client", "emarket.order", "db.unit_of_work"} <= graph.modules
    assert ("tasks.chains", "tasks.compensation") in imports(graph)  # imports inside a package are read too


def test_no_import_circle(graph):
    circles = set()
    for importer, imported in imports(graph):
        back = graph.find_shortest_chain(importer=imported, imported=importer)
        if back is not None:
            circle = (importer, *back[:-1])
            first = circle.index(min(circle))  # one circle, whichever of its imports found it
            circles.add(circle[first:] + circle[:first])
    described = [" → ".join(where(graph, a, b) for a, b in zip(c, c[1:] + c[:1], strict=True)) + f" → {c[0]}"
                 for c in sorted(circles)]
    assert not circles, "import circles (module:line of the import):\n" + "\n".join(described)


def test_arrows_point_down_the_floors(graph):
    up = sorted((a, b) for a, b in imports(graph) if floor(b) > floor(a))
    unexpected = [f"{where(graph, a, b)} imports {b}" for a, b in up
                  if not any(fnmatch.fnmatch(a, who) and fnmatch.fnmatch(b, what) for who, what in UP_ALLOWED)]
    assert not unexpected, "imports running back up a floor:\n" + "\n".join(unexpected)
    assert len(up) <= 1, f"more than one import running back up a floor: {up}"


def test_the_web_uses_of_tasks_only_what_sends_through_the_saga(graph):
    used = {b: where(graph, a, b) for a, b in imports(graph) if floor(a) == FLOORS["web"] and floor(b) == FLOORS["tasks"]}
    beyond = sorted(f"{importer} imports {module}" for module, importer in used.items() if module not in WEB_USES_OF_TASKS)
    assert not beyond, "the web reaches into tasks beyond its saga client's needs:\n" + "\n".join(beyond)


def test_celeryconfig_imports_only_the_floors_below_tasks():
    tree = ast.parse((ROOT / "celeryconfig.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    ours = {name for name in imported if name.split(".", 1)[0] in FLOORS}
    assert ours and all(floor(name) < FLOORS["tasks"] for name in ours), sorted(ours)
