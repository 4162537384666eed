"""The Mermaid diagrams in docs/ cannot drift from the code: every queue, every registered task
and every HTTP service the code has appears in them, and they name no task that does not exist.
The order's and the top-up's state diagrams hold every status and transition of the code."""
from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import celeryconfig
import web
from emarket import order_status, saga_events, topup
from tasks import app

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"```mermaid\n(.*?)```", re.S)


def mermaid(path: Path) -> str:
    assert path.is_file(), f"{path.relative_to(DOCS.parent)} is missing"
    blocks = FENCE.findall(path.read_text())
    assert blocks, f"{path.relative_to(DOCS.parent)} has no mermaid diagram"
    return "\n".join(blocks)


def names(text: str, word: str) -> bool:
    """``word`` as a whole name: ``money`` is not found inside ``money_add``."""
    return re.search(rf"(?<![\w.]){re.escape(word)}(?![\w])", text) is not None


def registered_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def http_services() -> set[str]:
    """Every package under web/ that builds a Flask app."""
    found = set()
    for module in pkgutil.iter_modules(web.__path__):
        if module.ispkg and hasattr(importlib.import_module(f"web.{module.name}"), "create_app"):
            found.add(module.name)
    return found


ALL_DIAGRAMS = sorted([DOCS / "architecture.md", DOCS / "saga.md", DOCS / "topup.md", *DOCS.glob("components/*.md")])


@pytest.fixture(scope="module")
def everything() -> str:
    return "\n".join(mermaid(path) for path in ALL_DIAGRAMS)


def test_the_code_has_what_the_test_looks_for():
    assert len(celeryconfig.QUEUES) >= 6
    assert {"order.register", "money.charge", "saga.compensate", "money_add.credit"} <= registered_tasks()
    assert http_services() >= {"shop", "auth", "bank"}


@pytest.mark.parametrize("queue", celeryconfig.QUEUES)
def test_every_queue_is_in_the_system_diagram_and_has_its_component_diagram(queue):
    assert names(mermaid(DOCS / "architecture.md"), queue), f"queue {queue} missing from docs/architecture.md"
    mermaid(DOCS / "components" / f"{queue}.md")


def test_every_task_is_in_a_diagram(everything):
    missing = sorted(name for name in registered_tasks() if not names(everything, name))
    assert not missing, f"tasks missing from the docs' diagrams: {missing}"


def test_every_task_is_in_its_queues_component_diagram():
    for name in registered_tasks():
        queue = name.split(".", 1)[0]
        assert names(mermaid(DOCS / "components" / f"{queue}.md"), name), f"{name} not in docs/components/{queue}.md"


def test_diagrams_name_no_task_that_does_not_exist(everything):
    prefixes = "|".join(sorted(map(re.escape, celeryconfig.QUEUES), key=len, reverse=True))
    mentioned = set(re.findall(rf"(?<![\w.])((?:{prefixes})\.[a-z_]+)(?![\w.])", everything))
    unknown = sorted(mentioned - registered_tasks())
    assert not unknown, f"the diagrams name tasks the code does not register: {unknown}"


@pytest.mark.parametrize("service", sorted(http_services()))
def test_every_http_service_is_in_the_system_diagram_and_has_its_component_diagram(service):
    assert names(mermaid(DOCS / "architecture.md"), service)
    assert names(mermaid(DOCS / "components" / f"{service}.md"), service)


def test_beat_and_flower_have_their_diagrams():
    beat = mermaid(DOCS / "components" / "beat.md")
    for entry, job in celeryconfig.beat_schedule.items():
        assert names(beat, entry) and names(beat, job["task"]), entry
    mermaid(DOCS / "components" / "flower.md")
    system = mermaid(DOCS / "architecture.md")
    assert names(system, "beat") and names(system, "Flower")


def test_the_three_databases_are_in_the_system_diagram():
    from db.schema import DATABASES

    system = mermaid(DOCS / "architecture.md")
    for database in DATABASES:
        assert re.search(rf"\[\(\"{database}\b", system), f"database {database} missing"


def state_diagram(path: Path) -> str:
    blocks = [block for block in FENCE.findall(path.read_text()) if block.lstrip().startswith("stateDiagram")]
    assert blocks, f"{path.relative_to(DOCS.parent)} has no state diagram"
    return "\n".join(blocks)


def state_transitions(text: str) -> set[tuple[str, str]]:
    """``a --> b`` pairs between named states (the start and end markers ``[*]`` left out)."""
    return set(re.findall(r"^\s*(\w+) --> (\w+)", text, flags=re.M))


def test_the_order_state_diagram_is_the_code_s_state_machine():
    saga = state_diagram(DOCS / "saga.md")
    drawn = state_transitions(saga)
    coded = {(source, target) for source, targets in order_status.TRANSITIONS.items() for target in targets}
    assert drawn >= coded, f"transitions missing: {sorted(coded - drawn)}"
    assert {a for a, _ in drawn} | {b for _, b in drawn} <= set(order_status.TRANSITIONS), "a state the code lacks"
    for final in order_status.FINAL:
        assert re.search(rf"^\s*{final} --> \[\*\]", saga, flags=re.M), f"{final} is not drawn as final"
    for reason in order_status.REASONS:
        assert names(saga, reason), f"reason {reason} missing from docs/saga.md"


def test_the_saga_doc_names_every_saga_event():
    text = (DOCS / "saga.md").read_text()
    for event in saga_events.ALL:
        assert names(text, event), f"saga event {event} missing from docs/saga.md"


def test_the_topup_state_diagram_has_every_status():
    diagram = state_diagram(DOCS / "topup.md")
    states = {topup.INITIATED, topup.PENDING, topup.CAPTURED, topup.CREDITED, topup.FAILED, topup.EXPIRED}
    drawn = state_transitions(diagram)
    seen = {a for a, _ in drawn} | {b for _, b in drawn}
    assert states <= seen, f"top-up states missing: {sorted(states - seen)}"
    assert seen <= states, f"states the code lacks: {sorted(seen - states)}"
    for final in topup.FINAL:
        assert re.search(rf"^\s*{final} --> \[\*\]", diagram, flags=re.M), f"{final} is not drawn as final"
