"""The engine's ceiling: no-op tasks on the saga's own queues, loaded only by the bench's
workers (``celery worker -I bench.noop_tasks``), never by the shop's.

A no-op chain has the saga's length and route — phase 1: order → product → order; phase 2:
order (replies, like ``order.start_payment``) → product → money → order — the same JSON
context in its messages and the same late acks, and does nothing else. Its last task stores
its result, so the bench sees when the chain finished (``date_done``).
"""
from __future__ import annotations

import os

from celery import chain

from tasks.celery_app import app


def _noop(ctx: dict) -> dict:
    return ctx


noop = {queue: app.task(name=f"{queue}.bench_noop", ignore_result=True, acks_late=True)(_noop)
        for queue in ("order", "product", "money")}
reply = app.task(name="order.bench_noop_reply", ignore_result=False, acks_late=True)(_noop)
last = app.task(name="order.bench_noop_last", ignore_result=False, acks_late=True)(_noop)


def phase1(ctx: dict):
    return chain(noop["order"].s(ctx), noop["product"].s(), last.s())


def phase2(ctx: dict):
    return chain(reply.s(ctx), noop["product"].s(), noop["money"].s(), last.s())


# --- what each step costs the database, counted in the bench's workers only ------------------
# Statements (and those that committed alone), commits (each also a BEGIN on psycopg2), pool
# checkouts and pre-pings (a SELECT 1
# at checkout, where the engine has pool_pre_ping; the workers' engines do not),
# by task name; every worker process writes its counts to BENCH_COUNTS_DIR when it exits.

import collections  # noqa: E402 — these imports follow the tasks above, which the bench's workers load first
import json  # noqa: E402 — likewise
import time  # noqa: E402 — likewise

from celery import current_task, signals  # noqa: E402 — likewise
from sqlalchemy import event  # noqa: E402 — likewise
from sqlalchemy.engine import Engine  # noqa: E402 — likewise
from sqlalchemy.pool import Pool  # noqa: E402 — likewise

_counts: collections.Counter = collections.Counter()


def _count(kind: str) -> None:
    task = current_task
    _counts[f"{task.name if task else '-'}|{kind}"] += 1


def _alone(conn) -> bool:
    """An autocommit connection: each statement is its own transaction, a commit sends nothing."""
    return getattr(conn.connection.dbapi_connection, "autocommit", False)


def _statement(conn, *_):
    _count("statements")
    if _alone(conn):
        _count("alone")


event.listen(Engine, "before_cursor_execute", _statement)
event.listen(Engine, "commit", lambda conn: None if _alone(conn) else _count("commits"))
event.listen(Pool, "checkout", lambda _dbapi, _record, proxy: (
    _count("checkouts"), _count("pings") if proxy._pool._pre_ping else None))


# CPU of this process from the task's start to its end: its body, the next message of its
# chain and its result (Celery sends task_postrun after both). Connected after tasks.signals,
# so the window also holds the project's own prerun handler and not its postrun one.
_started: dict[str, float] = {}


@signals.task_prerun.connect
def _start(task_id=None, **_):
    _started[task_id] = time.process_time()


@signals.task_postrun.connect
def _ran(task_id=None, task=None, **_):
    _counts[f"{task.name}|runs"] += 1
    started = _started.pop(task_id, None)
    if started is not None:
        _counts[f"{task.name}|cpu_us"] += round(1e6 * (time.process_time() - started))


@signals.worker_process_shutdown.connect
def _dump(**_):
    folder = os.environ.get("BENCH_COUNTS_DIR")
    if folder and _counts:
        with open(os.path.join(folder, f"counts-{os.getpid()}.json"), "w") as out:
            json.dump(dict(_counts), out)
