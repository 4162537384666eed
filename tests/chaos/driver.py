"""The users of a chaos run: they place orders and top up their wallets the way the web does
(``web.shop.saga_client`` for orders; a stored top-up and its ``money_add.start`` for top-ups) and
then pay, cancel, wait, or confirm at the bank with their PIN.

Every request may meet a fault: a publish refused while RabbitMQ is down, a reply lost with
Redis, a bank that times out. Like a patient client, the driver asks again (payment is
idempotent: a second request learns ``already_started``) until the order has moved on or its
own bound is up; what it saw is recorded per order and top-up for the figures.
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests as http

from db.account import IdempotentRequest
from emarket import idempotency
from emarket import order_status as st
from emarket import topup as topups
from emarket.storage import unit_of_work
from tasks.celery_app import app as celery_app
from tests.chaos.config import PIN
from web.shop import saga_client as shop

ORDER_PLANS = {"pay": 0.48, "timeout": 0.14, "cancel": 0.14, "scarce": 0.12, "poor": 0.12}
TOPUP_PLANS = {"confirm": 0.55, "wrong_then_right": 0.10, "wrong_pin": 0.10, "never": 0.15, "bank_refuses": 0.10}
PATIENCE = 120.0  # how long one user keeps trying before giving up on their own action


@dataclass
class OrderRun:
    plan: str
    user_id: int
    items: list[dict]
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    order_id: str | None = None
    outcome: str = ""  # what the user's last request was told
    retries: int = 0  # requests asked again after an error or a lost reply


@dataclass
class TopupRun:
    plan: str
    user_id: int
    amount: int
    bank_account: str
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    topup_id: str | None = None
    outcome: str = ""
    retries: int = 0


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan_orders(cfg, world, rng: random.Random) -> list[OrderRun]:
    runs = []
    for _ in range(cfg.orders):
        plan = _pick(rng, ORDER_PLANS)
        if plan == "scarce":
            items = [{"product_id": rng.choice(world.scarce), "quantity": rng.randint(1, 3)}]
        else:
            chosen = rng.sample(world.plenty, rng.randint(1, 3))
            items = [{"product_id": p, "quantity": rng.randint(1, 2)} for p in chosen]
        user = rng.choice(world.poor if plan == "poor" else world.rich)
        runs.append(OrderRun(plan, user, items))
    return runs


def plan_topups(cfg, world, rng: random.Random) -> list[TopupRun]:
    runs = []
    for _ in range(cfg.topups):
        plan = _pick(rng, TOPUP_PLANS)
        user = rng.choice(world.rich)
        amount = world.bank_balance + rng.randint(1, 1000) if plan == "bank_refuses" else rng.randint(100, 5_000)
        runs.append(TopupRun(plan, user, amount, world.bank_account[user]))
    return runs


class Driver:
    def __init__(self, cfg, bank_url: str, orders: list[OrderRun], topups: list[TopupRun], rng: random.Random):
        self.cfg, self.bank_url, self.orders, self.topups, self.rng = cfg, bank_url, orders, topups, rng
        self.submitted = 0
        self.last_start = datetime.now(UTC)  # when the last user's story began
        self.errors: dict[str, int] = {}
        self._lock = threading.Lock()
        self.abort = threading.Event()  # the run is being stopped: every story ends now

    def _late(self, deadline: float) -> bool:
        return time.monotonic() > deadline or self.abort.is_set()

    def progress(self) -> float:
        return self.submitted / max(1, len(self.orders) + len(self.topups))

    def _error(self, what: str, error: BaseException) -> None:
        with self._lock:
            name = f"{what}: {type(error).__name__}"
            self.errors[name] = self.errors.get(name, 0) + 1

    def run(self) -> None:
        """Start every user's story at the configured rate; return when all have ended."""
        jobs = [(self._order, run) for run in self.orders] + [(self._topup, run) for run in self.topups]
        self.rng.shuffle(jobs)
        span = len(self.orders) / self.cfg.rate
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.cfg.clients, thread_name_prefix="user") as pool:
            try:
                futures = []
                for n, (story, run) in enumerate(jobs):
                    delay = started + span * n / len(jobs) - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)  # the arrival rate of new users, not a wait for an outcome
                    futures.append(pool.submit(story, run))
                    self.submitted += 1
                    self.last_start = datetime.now(UTC)
                for future in futures:
                    future.result()
            except BaseException:
                self.abort.set()
                pool.shutdown(wait=False, cancel_futures=True)
                raise

    # --- orders ----------------------------------------------------------------------------------

    def _gives_up(self, run: OrderRun | TopupRun, what: str, error: Exception, deadline: float) -> bool:
        """A failed request, said and counted: past the deadline the run gives up (its outcome
        says so), else a client's pause before it retries (bounded by that deadline)."""
        self._error(what, error)
        run.retries += 1
        if self._late(deadline):
            run.outcome = f"gave up: {what}"
            return True
        time.sleep(0.5)
        return False

    def _order(self, run: OrderRun) -> None:
        deadline = time.monotonic() + PATIENCE
        while run.order_id is None:
            try:  # the same Idempotency-Key: a repeat finds the first order
                run.order_id = shop.place_order(run.user_id, run.items, run.key).resource_id
            except Exception as error:  # noqa: BLE001 — a client retries a failed request
                if self._gives_up(run, "place", error, deadline):
                    return
        status = self._settled(run.order_id, deadline)
        if status != st.AWAITING_PAYMENT or run.plan == "timeout":
            run.outcome = status
            return
        if run.plan == "cancel":
            self._ask(run, shop.request_cancel, ("cancelled", "already_cancelled", "not_cancellable"), deadline)
        else:
            self._ask(run, shop.request_payment, ("started", "already_started", "not_payable"), deadline)

    def _status(self, order_id: str) -> str | None:
        """The order's status as the user's page shows it; None while the database is out of
        reach (the page answers 503, the user reloads)."""
        try:
            return shop.order_status(order_id)
        except Exception as error:  # noqa: BLE001 — the database restarting
            self._error("read order", error)
            return None

    def _settled(self, order_id: str, deadline: float) -> str:
        """Phase 1 is over (awaiting payment or cancelled), or our patience is."""
        while True:
            status = self._status(order_id)
            if status in (st.AWAITING_PAYMENT, *st.FINAL) or self._late(deadline):
                return status
            time.sleep(0.1)  # a poll's pace

    def _ask(self, run: OrderRun, request, answers: tuple[str, ...], deadline: float) -> None:
        while not self._late(deadline):
            try:
                outcome = request(run.order_id, run.user_id, timeout=5)
                if outcome in answers:
                    run.outcome = outcome
                    return
            except Exception as error:  # noqa: BLE001 — ReplyTimeout, a broker or Redis outage
                self._error(request.__name__, error)
            run.retries += 1
            status = self._status(run.order_id)
            if status not in (st.AWAITING_PAYMENT, None):
                run.outcome = f"moved on ({status})"
                return
            time.sleep(0.5)  # a client's pause before it retries a failed request (bounded by its deadline)
        run.outcome = "gave up"

    # --- top-ups ---------------------------------------------------------------------------------

    def _topup(self, run: TopupRun) -> None:
        deadline = time.monotonic() + PATIENCE
        while run.topup_id is None:
            try:
                # As the web does: the key claimed with the top-up, the start sent after the
                # commit (if this is lost the sweep starts it).
                outcome = idempotency.create_once(
                    "account", IdempotentRequest, f"user:{run.user_id}", run.key,
                    idempotency.fingerprint("chaos", run.amount, run.bank_account),
                    lambda uow: topups.create_topup(uow, run.user_id, run.amount, run.bank_account).id)
                run.topup_id = outcome.resource_id
                if outcome.created:
                    self._send_start(run.topup_id)
            except Exception as error:  # noqa: BLE001 — an outage of the run: said in the report, retried
                if self._gives_up(run, "create top-up", error, deadline):
                    return
        if run.plan in ("never", "bank_refuses"):
            run.outcome = "left alone"
            return
        hold_id = self._hold_of(run, deadline)
        if hold_id is None:
            return
        pins = {"confirm": [PIN], "wrong_then_right": ["0000", PIN], "wrong_pin": ["0000"] * 5}[run.plan]
        for pin in pins:
            run.outcome = self._confirm(run, hold_id, pin, deadline)

    def _send_start(self, topup_id: str) -> None:
        try:
            celery_app.send_task("money_add.start", args=[topup_id])
        except Exception as error:  # noqa: BLE001 — stored: the sweep job will start it
            self._error("send money_add.start", error)

    def _hold_of(self, run: TopupRun, deadline: float) -> str | None:
        while not self._late(deadline):
            try:
                with unit_of_work("account") as uow:
                    row = topups.get_topup(uow, run.topup_id)
                    status, hold_id = row.status, row.hold_id
            except Exception as error:  # noqa: BLE001 — the database restarting: look again
                self._error("read top-up", error)
                status = hold_id = None
            if status not in (topups.INITIATED, None):
                if hold_id is None:
                    run.outcome = f"no hold ({status})"
                return hold_id
            time.sleep(0.2)  # a poll's pace
        run.outcome = "gave up waiting for the hold"
        return None

    def _confirm(self, run: TopupRun, hold_id: str, pin: str, deadline: float) -> str:
        """The account holder types the PIN at the bank (directly: no proxy in between)."""
        while not self._late(deadline):
            try:
                reply = http.post(f"{self.bank_url}/bank/holds/{hold_id}/confirm", json={"pin": pin}, timeout=10)
                if reply.status_code < 500:
                    return f"{reply.status_code} {reply.json().get('status') or reply.json()['error']['code']}"
            except http.RequestException as error:
                self._error("confirm", error)
            run.retries += 1
            time.sleep(0.5)  # a client's pause before it retries a failed request (bounded by its deadline)
        return "gave up confirming"
