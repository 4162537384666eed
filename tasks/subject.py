"""What a task run works on — its order (and the saga's correlation id) or its top-up — read
from where the task's own signature declares it, never guessed from the values.

A parameter typed ``SagaContext`` (alone or in a union) holds the saga context (``emarket.saga_context``); a
parameter named ``order_id`` or ``topup_id`` holds that id. Both positions are found once per
task, from its signature.
"""
from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from celery import Task

from emarket.saga_context import SagaContext

_IDS = ("order_id", "topup_id")


class Subject(NamedTuple):  # a tuple: built for every task run, it must cost next to nothing
    order_id: str | None = None
    topup_id: str | None = None
    cid: str | None = None  # the saga's correlation id, when the task carries its context

    def fields(self) -> dict[str, Any]:
        """For a log line: the ids this run works on."""
        if self.order_id:
            return {"order_id": self.order_id}
        return {"topup_id": self.topup_id} if self.topup_id else {}


NOTHING = Subject()


@dataclass(frozen=True)
class _Layout:
    context: tuple[int, str] | None  # (position, name) of the SagaContext parameter
    ids: tuple[tuple[str, int], ...]  # (name, position) of order_id / topup_id parameters


@cache
def _layout(task: Task) -> _Layout:
    try:
        parameters = list(inspect.signature(task.run).parameters.values())
    except (TypeError, ValueError):
        return _Layout(None, ())
    context, ids = None, []
    for position, parameter in enumerate(parameters):
        if context is None and _is_context(parameter.annotation):
            context = (position, parameter.name)
        elif parameter.name in _IDS:
            ids.append((parameter.name, position))
    return _Layout(context, tuple(ids))


def _is_context(annotation: object) -> bool:
    # Annotations are strings under ``from __future__ import annotations``.
    if isinstance(annotation, str):
        return "SagaContext" in annotation.replace(" ", "").split("|")
    return annotation is SagaContext


def _argument(args: Sequence[Any] | None, kwargs: dict[str, Any] | None, position: int, name: str) -> Any:
    if args is not None and position < len(args):
        return args[position]
    return (kwargs or {}).get(name)


def subject_of(task: Task, args: Sequence[Any] | None, kwargs: dict[str, Any] | None) -> Subject:
    """The order (with its correlation id) or top-up this run of ``task`` works on."""
    layout = _layout(task)
    if layout.context is not None:
        order_id, cid = SagaContext.ids_in(_argument(args, kwargs, *layout.context))
        return Subject(order_id, None, cid)
    if layout.ids:
        found = {name: _argument(args, kwargs, position, name) for name, position in layout.ids}
        return Subject(**{name: str(value) for name, value in found.items() if value is not None})
    return NOTHING


def arguments_in_brief(task: Task, args: Sequence[Any] | None, kwargs: dict[str, Any] | None) -> str | None:
    """A short stand-in for the repr of a message's arguments, which Celery writes into its
    headers for monitoring (Flower, the worker's "received" log): the order or top-up the task
    works on. Celery's own, a ``saferepr`` of every argument, took 5.9 % of a worker's CPU in
    the saga (bench/README.md). None for a task that declares no subject: Celery's repr then."""
    subject = subject_of(task, args, kwargs)
    if subject is NOTHING:
        return None
    return "(" + ", ".join(f"{name}={value}" for name, value in subject.fields().items()) + ", …)"
