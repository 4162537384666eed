"""One chaos run, start to end: fresh databases and queues, the stack, the shop's first
state, the users and the faults together, then — faults stopped — the wait for every order and
top-up to be final, the queues to drain, and the invariants."""
from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import text

from db.engine import get_engine
from emarket import audit
from emarket.config import settings
from tests.chaos import books, invariants, stalls
from tests.chaos.cluster_faults import ClusterFaults
from tests.chaos.config import MERCHANT_ACCOUNT, ChaosConfig, environment
from tests.chaos.driver import Driver, plan_orders, plan_topups
from tests.chaos.faults import FaultInjector, Services
from tests.chaos.private_pg import PrivatePostgres
from tests.chaos.rabbit_cluster import RabbitCluster
from tests.chaos.stack import QUEUES, Stack
from tests.chaos.world import build
from tests.support.broker import lay_out, purge_queues
from tests.support.databases import migrated_pg, truncate_all
from tests.support.redis_server import RedisServer
from tests.support.wait import Timeout, wait_until

INVARIANTS = (
    "every order final, none lost",
    "every top-up final, none lost",
    "final within the bound after the faults stopped",
    "stock conserved per product, nothing left reserved",
    "nothing ever negative",
    "money conserved (bank, merchant, wallets)",
    "one debit per completed order, none or refunded per cancelled one",
    "every captured top-up credited exactly once",
    "every wallet agrees with its ledger",
    "every order's saga events a valid path",
    "the auditor of the books finds nothing (emarket saga audit)",
)
CLUSTER_INVARIANT = "no fault stopped every saga step longer than its bound"


@dataclass
class Report:
    config: dict
    figures: dict = field(default_factory=dict)
    broken: dict[str, list[str]] = field(default_factory=dict)
    timeline: list = field(default_factory=list)
    stalls: dict[str, float] = field(default_factory=dict)  # a cluster run's: fault kind → seconds

    @property
    def ok(self) -> bool:
        return not any(self.broken.values())


class Sampler:
    """Reads the lowest stock, wallet and bank figures every half second during the run."""

    def __init__(self, urls: dict):
        self.urls, self.lowest, self._stop = urls, {}, threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sampler", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def sample(self) -> None:
        try:
            figures = books.lowest(self.urls)
        except Exception:  # noqa: BLE001 — the database is down (a fault of the run): sample later
            return
        for what, value in figures.items():
            if value is not None:
                self.lowest[what] = min(value, self.lowest.get(what, value))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()


def _prepare(cfg: ChaosConfig, broker: RabbitCluster) -> tuple[dict, dict]:
    env = environment(cfg)
    os.environ.update(env)
    settings.cache_clear()
    lay_out(broker.url(broker.nodes[0]))  # one node: queue leaders are balanced anyway
    urls = migrated_pg(cfg.db_prefix, cfg.pg_server)
    truncate_all(urls)  # the run's Redis server and broker are new: nothing in them to clear
    return {**os.environ}, urls


def _not_final(urls: dict, users: list[int]) -> int:
    with get_engine(urls["emarket"]).connect() as conn:
        orders = conn.execute(text("SELECT count(*) FROM \"order\" WHERE user_id = ANY(:u) "
                                   "AND status NOT IN ('completed', 'cancelled')"), {"u": users}).scalar()
    with get_engine(urls["account"]).connect() as conn:
        pending = conn.execute(text("SELECT count(*) FROM topup WHERE status NOT IN ('credited', 'failed', 'expired')")).scalar()
    return orders + pending


def _queued(broker: RabbitCluster) -> int:
    """Messages in the run's task queues, ready or delivered and not yet acknowledged (a
    countdown or a retry waiting in a worker counts too)."""
    return sum(n for name, _, n in broker.queues() if name in QUEUES)


def run(cfg: ChaosConfig) -> Report:
    """One run. Its own servers are started first and stopped last, whatever happens in
    between: a RabbitMQ node and a Redis server (the faults restart them), and on ``cfg.cluster``
    three nodes clustered together and a PostgreSQL."""
    cfg.log_dir.mkdir(parents=True, exist_ok=True)
    broker = RabbitCluster(cfg.log_dir / "rabbit", list(cfg.broker_ports), cfg.vhost)
    redis_server = RedisServer(cfg.log_dir / "redis")
    postgres = PrivatePostgres(cfg.log_dir, cfg.pg_port) if cfg.cluster else None
    try:
        if postgres is not None:
            postgres.start()
            cfg.pg_server = postgres.server_url
        cfg.redis_server = redis_server.start().url
        broker.start()
        return _run(cfg, broker, Services(broker, redis_server), postgres)
    finally:
        broker.stop()
        redis_server.shutdown()
        if postgres is not None:
            postgres.stop()


def _run(cfg: ChaosConfig, broker: RabbitCluster, services: Services, postgres: PrivatePostgres | None) -> Report:
    report = Report(cfg.as_dict())
    rng = random.Random(cfg.seed or time.time_ns())
    env, urls = _prepare(cfg, broker)
    from tasks.celery_app import app  # configured from the environment set just above

    purge_queues(app, QUEUES)
    stack = Stack(app, env, cfg.log_dir, hold_for=float(env["EMARKET_BANK_TIMEOUT"]) + 2)
    injector = None
    started = time.monotonic()
    try:
        stack.start()
        world = build(cfg, stack.bank.url, rng)
        money_before = books.money(urls, MERCHANT_ACCOUNT)
        # What a wallet holds beyond its ledger at the start (none: the world credits through it).
        wallets_before = {u: w["balance"] - w["ledger"] for u, w in books.wallets(urls).items()}
        driver = Driver(cfg, stack.bank.url, plan_orders(cfg, world, rng), plan_topups(cfg, world, rng), rng)
        cluster_faults = ClusterFaults(cfg, broker, postgres) if postgres is not None else None
        injector = FaultInjector(cfg, stack, services, driver.progress, rng, cluster_faults)
        if cluster_faults is not None:
            cluster_faults.note, cluster_faults.quiet = injector.note, injector.quiet
        run_began = datetime.now(UTC)
        with Sampler(urls) as sampler:
            injector.start()
            t_drive = time.monotonic()
            driver.run()
            wait_until(injector.one_offs_done.is_set, timeout=600, interval=0.2, what="the one-off faults")
            injector.stop()
            stopped_at, t_stop = datetime.now(UTC), time.monotonic()
            drive_s = t_stop - t_drive
            try:
                wait_until(lambda: _not_final(urls, world.users) == 0, timeout=cfg.final_within, interval=0.5,
                           what="every order and top-up to be final")
            except Timeout:
                pass  # the invariants below say what is not final
            final_s = time.monotonic() - t_stop
            stack.stop_beat()
            t_drain = time.monotonic()
            try:
                wait_until(lambda: _queued(broker) == 0 and _queued(broker) == 0,
                           timeout=cfg.drain_within,
                           interval=0.5, what="the queues to drain")
                drained = True
            except Timeout:
                drained = False
            drain_s = time.monotonic() - t_drain
        report.timeline = injector.timeline
        orders = books.orders(urls, world.users)
        topup_rows = books.topups(urls)
        placed = {r.order_id for r in driver.orders if r.order_id}
        created = {r.topup_id for r in driver.topups if r.topup_id}
        money_after = books.money(urls, MERCHANT_ACCOUNT)
        late, longest, n_after = invariants.final_in_time(orders, topup_rows, stopped_at, cfg.final_within)
        report.broken = dict(zip(INVARIANTS, (
            invariants.orders_final(placed, orders)
            + [f"user gave up: {r.plan} order {r.order_id}: {r.outcome}" for r in driver.orders if r.outcome.startswith("gave up")],
            invariants.topups_final(created, topup_rows),
            late + ([] if drained else [f"the queues still held {_queued(broker)} messages after "
                                        f"{cfg.drain_within:.0f} s"]),
            invariants.stock_conserved(world.initial_stock, books.stock(urls), orders),
            invariants.never_negative(sampler.lowest),
            invariants.money_conserved(money_before, money_after, orders, topup_rows),
            invariants.one_debit_per_order(orders),
            invariants.topups_credited_once(topup_rows),
            invariants.wallets_match_ledger(wallets_before, books.wallets(urls)),
            invariants.valid_saga_paths(orders),
            [finding.line() for finding in audit.audit(grace_seconds=0)],
        ), strict=False))
        if cluster_faults is not None:
            times = stalls.step_times(cfg.log_dir, run_began)
            report.stalls = stalls.stalls(cluster_faults.windows, times, driver.last_start)
            report.timeline.append((None, "longest stretches without a step: "
                                    f"{stalls.where(cluster_faults.windows, times, driver.last_start)}"))
            report.broken[CLUSTER_INVARIANT] = stalls.beyond_bounds(report.stalls, cfg.stall_bounds) + [
                f"{w.kind} began after the last user had started: its stall was not measured under load "
                "(a lower --rate spreads the orders over the faults)"
                for w in cluster_faults.windows if w.began > driver.last_start]
        if injector.failures:
            report.broken["every planned fault injected"] = injector.failures
        report.figures = _figures(cfg, driver, orders, topup_rows, stack, injector, sampler.lowest, money_before,
                                  money_after, {"drive_s": drive_s, "final_s": final_s, "drain_s": drain_s, "longest": longest,
                                                    "n_after": n_after, "total_s": time.monotonic() - started})
    finally:
        if injector is not None:
            injector.halt()
            injector.flag.unlink(missing_ok=True)
        services.heal()
        stack.stop()
    return report


def _cluster_fault_counts(cluster_faults: ClusterFaults | None) -> dict[str, int]:
    if cluster_faults is None:
        return {}
    kinds = Counter(w.kind for w in cluster_faults.windows)
    return {"RabbitMQ nodes killed (kill -9, then restarted)": kinds["node killed"],
            f"RabbitMQ nodes frozen (SIGSTOP {cluster_faults.cfg.node_frozen_for:.0f} s, then SIGCONT)": kinds["node frozen"],
            "PostgreSQL postmaster killed (kill -9, then crash recovery)": kinds["postgres restarted"]}


def _figures(cfg, driver, orders, topup_rows, stack, injector, lowest, before, after, times) -> dict:
    by_id = {r.order_id: r for r in driver.orders}
    statuses = Counter(o["status"] + (f" ({o['reason']})" if o.get("reason") else "") for o in orders.values())
    per_plan: dict[str, Counter] = {}
    for oid, order in orders.items():
        plan = by_id[oid].plan if oid in by_id else "?"
        per_plan.setdefault(plan, Counter())[order["status"] + (f" ({order['reason']})" if order.get("reason") else "")] += 1
    topup_by_id = {r.topup_id: r for r in driver.topups}
    topup_plan: dict[str, Counter] = {}
    for tid, row in topup_rows.items():
        plan = topup_by_id[tid].plan if tid in topup_by_id else "?"
        topup_plan.setdefault(plan, Counter())[row["status"]] += 1
    duplicates = injector.duplicates()
    return {
        "orders": dict(statuses.most_common()),
        "orders by plan": {p: dict(c.most_common()) for p, c in sorted(per_plan.items())},
        "top-ups": dict(Counter(t["status"] for t in topup_rows.values()).most_common()),
        "top-ups by plan": {p: dict(c.most_common()) for p, c in sorted(topup_plan.items())},
        "faults": {
            "worker SIGKILLs (whole worker)": stack.kills["worker"],
            "pool process SIGKILLs": stack.kills["pool_process"],
            "processes started again": stack.restarts(),
            "RabbitMQ restarts (stop_app/start_app)": injector.counts["broker_restarts"],
            **_cluster_fault_counts(injector.cluster_faults),
            "Redis restarts (shutdown nosave)": injector.counts["redis_restarts"],
            "bank outage windows (500s, then timeouts)": injector.counts["bank_error_windows"]
            + injector.counts["bank_timeout_windows"],
            "bank 500 answers": stack.proxy.counts["error"],
            "bank calls timed out": stack.proxy.counts["timeout"],
            "task messages published twice": sum(duplicates.values()),
        },
        "duplicates by task": dict(Counter(duplicates).most_common()),
        "what users were told": {
            **{f"order/{p}": dict(Counter(r.outcome for r in driver.orders if r.plan == p).most_common())
               for p in sorted({r.plan for r in driver.orders})},
            **{f"top-up/{p}": dict(Counter(r.outcome for r in driver.topups if r.plan == p).most_common())
               for p in sorted({r.plan for r in driver.topups})}},
        "client retries": sum(r.retries for r in driver.orders) + sum(r.retries for r in driver.topups),
        "client errors seen": dict(sorted(driver.errors.items())),
        "money": {"bank total before": before.bank, "bank total after": after.bank,
                  "merchant received": after.merchant - before.merchant,
                  "wallets before": before.wallets, "wallets after": after.wallets,
                  "spent on completed orders": sum(o["total"] or 0 for o in orders.values() if o["status"] == "completed")},
        "lowest figures seen": lowest,
        "seconds": {"drive (faults on)": round(times["drive_s"], 1),
                    "faults stopped → all final": round(times["final_s"], 1),
                    "queues drained": round(times["drain_s"], 1),
                    "longest time to final after the faults stopped": round(times["longest"], 1),
                    "final after the faults stopped (orders + top-ups)": times["n_after"],
                    "stated bound": cfg.final_within, "whole run": round(times["total_s"], 1)},
    }
