"""The closed-loop driver of bench/saga.py and bench/memory.py: keeps ``inflight`` orders
moving, each through phase 1 then phase 2, like that many shoppers who pay as soon as their
order awaits payment.

One thread does it all: it submits (``web.shop.saga_client.place_order``, then the phase-2 chain
``request_payment`` sends), and polls every ``poll`` seconds with ONE query for all orders in
flight (one Redis MGET for the no-op chains). A phase's latency runs from just before its
submit to the moment the worker moved the order (``order.updated_at``, written by the step
itself, or the no-op chain's ``date_done``), so the poll interval does not blur it.
"""
from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import psycopg2
import redis as redis_lib

from emarket.order_status import AWAITING_PAYMENT, CANCELLED, COMPLETED


@dataclass
class Outcome:
    phase1: list[float] = field(default_factory=list)
    phase2: list[float] = field(default_factory=list)
    seconds: float = 0.0
    done: int = 0
    failed: int = 0
    progress: list[tuple[int, float]] = field(default_factory=list)  # (done, seconds)

    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def merge(self, other: Outcome) -> None:
        """Add another round's figures (its progress marks shifted after this one's)."""
        self.progress += [(done + self.done, seconds + self.seconds) for done, seconds in other.progress]
        self.phase1 += other.phase1
        self.phase2 += other.phase2
        self.seconds += other.seconds
        self.done += other.done
        self.failed += other.failed


def _basket(rng: random.Random, products: list[int], max_items: int) -> list[dict]:
    chosen = rng.sample(products, rng.randint(1, max_items))
    return [{"product_id": p, "quantity": rng.randint(1, 2)} for p in sorted(chosen)]


class _Loop:
    """Shared bookkeeping: who is in which phase since when."""

    def __init__(self, total: int, inflight: int, poll: float, on_progress=None, every: int = 0):
        self.total, self.inflight, self.poll = total, inflight, poll
        self.outcome = Outcome()
        self.started: dict[str, tuple[int, float]] = {}  # id -> (phase, wall time at submit)
        self.submitted = 0
        self.on_progress, self.every = on_progress, every

    def finish(self, key: str, phase: int, at: float) -> None:
        _, since = self.started.pop(key)
        (self.outcome.phase1 if phase == 1 else self.outcome.phase2).append(max(0.0, at - since))

    def completed(self) -> None:
        self.outcome.done += 1
        if self.every and self.outcome.done % self.every == 0:
            self.outcome.progress.append((self.outcome.done, time.monotonic() - self.t0))
            if self.on_progress:
                self.on_progress(self.outcome.done)

    def run(self, submit, poll_once, stall: float = 180.0) -> Outcome:
        self.t0 = moved_at = time.monotonic()
        while self.outcome.done + self.outcome.failed < self.total:
            while len(self.started) < self.inflight and self.submitted < self.total:
                submit()
                self.submitted += 1
            if poll_once():
                moved_at = time.monotonic()
            elif time.monotonic() - moved_at > stall:  # a lost message must not hang the bench
                raise RuntimeError(f"nothing moved for {stall:.0f} s; in flight: {sorted(self.started)[:5]} …")
            else:
                time.sleep(self.poll)
        self.outcome.seconds = time.monotonic() - self.t0
        return self.outcome


def run_sagas(total: int, inflight: int, users: list[int], products: list[int], emarket_dsn: str,
              max_items: int = 2, poll: float = 0.004, seed: int = 1, on_progress=None, every: int = 0) -> Outcome:
    from tasks.chains import phase2
    from web.shop import saga_client

    rng = random.Random(seed)
    loop = _Loop(total, inflight, poll, on_progress, every)
    owner: dict[str, int] = {}
    conn = psycopg2.connect(emarket_dsn)
    conn.autocommit = True
    cursor = conn.cursor()

    def submit() -> None:
        user = rng.choice(users)
        now = time.time()
        order_id = saga_client.place_order(user, _basket(rng, products, max_items), None).resource_id
        loop.started[order_id] = (1, now)
        owner[order_id] = user

    def poll_once() -> bool:
        cursor.execute('SELECT id, status, updated_at FROM "order" WHERE id = ANY(%s)', (list(loop.started),))
        moved = False
        for order_id, status, updated_at in cursor.fetchall():
            phase = loop.started[order_id][0]
            if phase == 1 and status == AWAITING_PAYMENT:
                loop.finish(order_id, 1, updated_at.timestamp())
                loop.started[order_id] = (2, time.time())
                # What saga_client.request_payment sends; the bench does not wait for the reply.
                phase2({"order_id": order_id, "user_id": owner[order_id], "cid": None}).apply_async()
                moved = True
            elif phase == 2 and status == COMPLETED:
                loop.finish(order_id, 2, updated_at.timestamp())
                owner.pop(order_id)
                loop.completed()
                moved = True
            elif status == CANCELLED:
                loop.started.pop(order_id)
                loop.outcome.failed += 1
                moved = True
        return moved

    try:
        return loop.run(submit, poll_once)
    finally:
        conn.close()


def run_noop_chains(total: int, inflight: int, redis_url: str, poll: float = 0.004) -> Outcome:
    from bench import noop_tasks

    loop = _Loop(total, inflight, poll)
    client = redis_lib.Redis.from_url(redis_url)
    waiting: dict[str, str] = {}  # the phase's last task id -> order id

    def ctx_for(order_id: str) -> dict:
        return {"order_id": order_id, "user_id": 1, "items": [[1, 1], [2, 2]], "total": 500, "cid": None}

    def submit() -> None:
        order_id = str(uuid.uuid4())
        now = time.time()
        waiting[noop_tasks.phase1(ctx_for(order_id)).apply_async().id] = order_id
        loop.started[order_id] = (1, now)

    def poll_once() -> bool:
        keys = list(waiting)
        try:
            metas = client.mget([f"celery-task-meta-{k}" for k in keys])
        except redis_lib.ConnectionError:  # Redis restarted under us (chaos runs share it): poll again
            return False
        moved = False
        for task_id, raw in zip(keys, metas, strict=False):
            if raw is None:
                continue
            meta = json.loads(raw)
            order_id = waiting.pop(task_id)
            client.delete(f"celery-task-meta-{task_id}")
            phase = loop.started[order_id][0]
            loop.finish(order_id, phase, datetime.fromisoformat(meta["date_done"]).timestamp())
            if phase == 1:
                loop.started[order_id] = (2, time.time())
                waiting[noop_tasks.phase2(ctx_for(order_id)).apply_async().id] = order_id
            else:
                loop.completed()
            moved = True
        return moved

    return loop.run(submit, poll_once)


def run_payments(pending: list[tuple[str, int]], inflight: int, emarket_dsn: str, poll: float = 0.004) -> Outcome:
    """Phase 2 alone over orders already awaiting payment: (order id, user id) pairs."""
    from tasks.chains import phase2

    loop = _Loop(len(pending), inflight, poll)
    queue = list(reversed(pending))
    conn = psycopg2.connect(emarket_dsn)
    conn.autocommit = True
    cursor = conn.cursor()

    def submit() -> None:
        order_id, user_id = queue.pop()
        loop.started[order_id] = (2, time.time())
        phase2({"order_id": order_id, "user_id": user_id, "cid": None}).apply_async()

    def poll_once() -> bool:
        cursor.execute('SELECT id, status, updated_at FROM "order" WHERE id = ANY(%s) AND status IN %s',
                       (list(loop.started), (COMPLETED, CANCELLED)))
        rows = cursor.fetchall()
        for order_id, status, updated_at in rows:
            if status == COMPLETED:
                loop.finish(order_id, 2, updated_at.timestamp())
                loop.completed()
            else:
                loop.started.pop(order_id)
                loop.outcome.failed += 1
        return bool(rows)

    try:
        return loop.run(submit, poll_once)
    finally:
        conn.close()
