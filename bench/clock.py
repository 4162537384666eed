"""The payment clock with many orders awaiting payment, across restarts (docs/payment-clock.md).

Restart run (default): ``--orders`` orders are left awaiting payment, as ``order.await_payment``
leaves them (the row with its deadline, the countdown published by the project's own
``schedule_payment_timeout``), deadlines ``--rate`` per second from ``--lead`` s on, with two
worker nodes (``saga``; the five step queues) running. Then, before the first deadline:

1. ``celery inspect scheduled`` on every node: the countdowns a worker holds (want 0: they
   wait in RabbitMQ's delay ladder, whose queues are counted too);
2. every node SIGKILLed and started again; right after, an out-of-stock order is placed (time
   until it is cancelled, want ≤ 2 s) and a user cancels an awaiting order (time until the
   reply, want ≤ 2 s);
3. every order must then be cancelled ``payment_timeout`` by its countdown (beat does not run
   here): lateness = cancel time − deadline (want ≤ 5 s for every order), and the runs of
   ``saga.payment_timeout`` counted in the workers' logs (want exactly one per order).

``--restart-broker NODE`` also stops a private RabbitMQ node while the countdowns wait and
starts it again (``rabbitmq-server -detached`` in this process's ``RABBITMQ_*`` environment;
bench/README.md), the workers SIGKILLed while it is down: each countdown must still fire once.

    python bench/clock.py                                   # 10,000 orders, 20 deadlines/s
    python bench/clock.py --orders 1000 --restart-broker clockbench@localhost \
        --broker amqp://guest:guest@127.0.0.1:5673/          # the private node's own env set
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from tests.support.wait import wait_until

NAME = "clock"
STEP_QUEUES = ("account", "order", "product", "money", "money_add")
LADDER = [f"celery_delayed_{level}" for level in range(28)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000, help="orders left awaiting payment (default 10,000)")
    parser.add_argument("--rate", type=float, default=20.0,
                        help="deadlines per second, one after another (default 20: twice the saga's rate here)")
    parser.add_argument("--lead", type=float, default=120.0,
                        help="seconds from the start to the first deadline: the restart happens before it (default 120)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="pool processes per node (default: cores)")
    parser.add_argument("--restart-broker", metavar="NODE",
                        help="also stop and start this private RabbitMQ node (the one --broker points at) "
                             "while the countdowns wait; never rabbit@<host>, the shared one")
    common.add_service_args(parser, "emarket_benchclock", 15)
    args = parser.parse_args(argv)
    if args.restart_broker and (args.restart_broker.startswith("rabbit@") or ":5672/" in args.broker):
        parser.error("--restart-broker restarts a private node only: not rabbit@<host>, and --broker "
                     "must point at that node, not the shared one on port 5672")
    return args


class Nodes:
    """The two worker nodes, started, killed and started again as a pair."""

    def __init__(self, app, workers: int, log_dir: Path):
        self.app, self.workers, self.log_dir = app, workers, log_dir
        self.all: list[common.Workers] = []  # every node ever started (their logs are counted)
        self.live: list[common.Workers] = []

    def start(self) -> None:
        # INFO: the worker logs each task's end ("succeeded"), which step 3 counts; unbuffered,
        # or a pool process's last lines die with it (it ends with os._exit).
        self.live = []
        for queues in (("saga",), STEP_QUEUES):
            node = common.Workers(self.app, self.workers, self.log_dir, queues=queues, loglevel="INFO",
                                  include="tasks.payment_clock", env={"PYTHONUNBUFFERED": "1"})
            self.all.append(node)  # before it starts: stop() must reach it whatever happens
            self.live.append(node.start(timeout=180))  # a loaded machine starts workers slowly

    def kill(self) -> None:
        for node in self.live:
            node.kill()

    def stop(self) -> None:
        for node in self.all:
            node.stop()

    def scheduled(self) -> int:
        replies = self.app.control.inspect(destination=[n.name for n in self.live], timeout=10).scheduled() or {}
        missing = {n.name for n in self.live} - set(replies)
        if missing:
            raise RuntimeError(f"no answer to inspect scheduled from {sorted(missing)}")
        return sum(len(held) for held in replies.values())

    def timeout_runs(self) -> dict:
        """The runs of saga.payment_timeout in every node's (JSON) log: how many, how many
        cancelled their order, and how many orders saw more than one run."""
        per_order: dict[str, int] = {}
        cancelling = 0
        for node in self.all:
            for line in node.log_path.read_text(errors="replace").splitlines():
                if "saga.payment_timeout[" not in line or "succeeded" not in line:
                    continue
                data = json.loads(line)["data"]
                per_order[data["args"]] = per_order.get(data["args"], 0) + 1
                cancelling += data["return_value"] == "True"
        return {"timeout_runs": sum(per_order.values()), "timeout_runs_cancelling": cancelling,
                "orders_run_twice": sum(1 for n in per_order.values() if n > 1)}


def in_ladder(app) -> int:
    with app.connection_for_write() as conn:
        channel = conn.channel()
        return sum(channel.queue_declare(name, passive=True).message_count for name in LADDER)


def sql(dsn: str, query: str, params=()) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def seed_awaiting(n: int, users: list[int], rate: float, lead: float) -> float:
    """n orders left awaiting payment, as ``order.await_payment`` leaves them: the row with its
    deadline, and the countdown published by ``tasks.payment_clock.schedule_payment_timeout``. The
    deadlines follow one another at ``rate`` per second (orders reaching awaiting_payment at that
    rate) from ``lead`` seconds on. Phase 1 itself is not what is measured, and through it
    10,000 orders take half an hour on this machine. Returns the seconds taken."""
    import uuid
    from datetime import timedelta

    from sqlalchemy import insert

    from db.base import utcnow
    from db.emarket import Order
    from emarket.storage import unit_of_work
    from tasks.payment_clock import schedule_payment_timeout

    started, first = time.monotonic(), utcnow() + timedelta(seconds=lead)
    orders = [{"id": str(uuid.uuid4()), "user_id": users[i % len(users)], "status": "awaiting_payment",
               "total": 100, "payment_deadline": first + timedelta(seconds=i / rate)} for i in range(n)]
    for chunk in range(0, n, 1000):
        with unit_of_work("emarket") as uow:
            uow.session.execute(insert(Order), orders[chunk:chunk + 1000])
    for order in orders:
        schedule_payment_timeout(order["id"], order["payment_deadline"])
    return time.monotonic() - started


def first_try_after_restart(call):
    """A request from this process right after the broker restarted may meet a connection that
    died with it: tried again at once (up to 3 times), the time counting from the first try."""
    for attempt in range(3):
        try:
            return call()
        except OSError:
            if attempt == 2:
                raise


def out_of_stock_cancelled_in(user: int, product: int, dsn: str) -> float:
    from web.shop import saga_client

    started = time.time()
    order_id = first_try_after_restart(
        lambda: saga_client.place_order(user, [{"product_id": product, "quantity": 1}], None)).resource_id
    row = wait_until(lambda: sql(dsn, "SELECT reason, updated_at FROM \"order\" WHERE id = %s AND status = 'cancelled'",
                                 (order_id,)), timeout=600, interval=0.02, what="the out-of-stock order to be cancelled")
    assert row[0][0] == "out_of_stock", row
    return row[0][1].timestamp() - started


def cancel_answered_in(dsn: str) -> float:
    from web.shop import saga_client

    order_id, user = sql(dsn, "SELECT id, user_id FROM \"order\" WHERE status = 'awaiting_payment' "
                              "ORDER BY payment_deadline DESC LIMIT 1")[0]
    started = time.monotonic()
    assert first_try_after_restart(lambda: saga_client.request_cancel(order_id, user, timeout=600)) == "cancelled"
    return time.monotonic() - started


def restart_broker(node: str) -> float:
    """The whole node stopped (its Erlang VM ends) and started again from its data directory,
    with this process's RABBITMQ_* environment (node name, ports, directories)."""
    started = time.monotonic()
    subprocess.run(["rabbitmqctl", "-q", "-n", node, "stop"], check=True, timeout=180, capture_output=True)
    subprocess.run(["rabbitmq-server", "-detached"], check=True, timeout=60, capture_output=True,
                   env={**os.environ, "RABBITMQ_NODENAME": node})
    # -detached returns before the node answers: await_startup fails (69) until it does.
    wait_until(lambda: subprocess.run(["rabbitmqctl", "-q", "-n", node, "await_startup", "--timeout", "10"],
                                      capture_output=True).returncode == 0,
               timeout=180, interval=0.5, what=f"RabbitMQ node {node} to start")
    return time.monotonic() - started


def main(argv=None) -> dict:
    args = parse_args(argv)
    urls = common.configure(args)
    common.truncate(urls)
    from sqlalchemy import insert

    from bench.saga import seed
    from db.emarket import ProductAccounting, ProductDesc
    from emarket.storage import unit_of_work
    from tasks import app

    dsn = urls["emarket"].replace("+psycopg2", "")
    common.purge(app)
    users, _products = seed(50, 50)
    with unit_of_work("emarket") as uow:  # the product that is always out of stock
        uow.session.execute(insert(ProductDesc), [{"id": 999_999, "name": "Gone", "description": ""}])
        uow.session.execute(insert(ProductAccounting), [{"product_id": 999_999, "count": 0, "reserved": 0, "price": 1}])
    nodes = Nodes(app, args.workers, Path(args.results) / "logs")
    figures: dict = {"orders": args.orders, "deadlines_per_s": args.rate, "lead_s": args.lead, "workers": args.workers,
                     "broker_restart": args.restart_broker, "load_before": common.load_average()}
    try:
        nodes.start()
        figures["seeding_s"] = round(seed_awaiting(args.orders, users, args.rate, args.lead), 1)
        figures["scheduled_in_workers"] = nodes.scheduled()
        figures["waiting_in_ladder"] = in_ladder(app)
        print(f"{args.orders:,} orders awaiting payment after {figures['seeding_s']} s; countdowns held by "
              f"workers: {figures['scheduled_in_workers']}, in RabbitMQ's delay ladder: {figures['waiting_in_ladder']:,}",
              flush=True)
        nodes.kill()
        figures["awaiting_at_kill"] = sql(dsn, "SELECT count(*) FROM \"order\" WHERE status = 'awaiting_payment'")[0][0]
        if args.restart_broker:
            figures["broker_restart_s"] = round(restart_broker(args.restart_broker), 1)
            # This process's pooled connections died with the broker: new pools, as after a fork.
            from kombu import pools

            pools.reset()
            app._after_fork()
            print(f"RabbitMQ node {args.restart_broker} stopped and started in {figures['broker_restart_s']} s; ladder holds {in_ladder(app):,}")
        nodes.start()
        figures["out_of_stock_cancelled_s"] = round(out_of_stock_cancelled_in(users[0], 999_999, dsn), 2)
        figures["cancel_answered_s"] = round(cancel_answered_in(dsn), 2)
        print(f"after SIGKILL and restart of every worker: out-of-stock order cancelled in "
              f"{figures['out_of_stock_cancelled_s']} s, a cancel answered in {figures['cancel_answered_s']} s", flush=True)
        last = sql(dsn, "SELECT max(payment_deadline) FROM \"order\" WHERE reason IS NULL")[0][0]
        print(f"waiting for the last deadline ({last:%H:%M:%S} UTC) ...", flush=True)
        left = lambda: sql(dsn, "SELECT count(*) FROM \"order\" WHERE status = 'awaiting_payment'")[0][0] == 0  # noqa: E731
        wait_until(left, timeout=max(60.0, last.timestamp() - time.time() + 120), interval=1, what="every order to be cancelled")
        time.sleep(5)  # a duplicate run (at-least-once dead-lettering) would show in the logs by now
        figures.update(lateness(dsn, args.orders - 1))
    finally:
        nodes.stop()
    figures.update(nodes.timeout_runs())  # after the stop: the workers' logs are flushed
    figures["load_after"] = common.load_average()
    return report(args, figures)


def lateness(dsn: str, expected: int) -> dict:
    rows = sql(dsn, "SELECT extract(epoch FROM updated_at - payment_deadline) FROM \"order\" "
                    "WHERE status = 'cancelled' AND reason = 'payment_timeout'")
    late = [float(r[0]) for r in rows]
    return {"timed_out": len(late), "timed_out_expected": expected,
            "lateness_s": {"p50": round(common.percentile(late, 50), 2), "p99": round(common.percentile(late, 99), 2),
                           "max": round(max(late), 2), "min": round(min(late), 2)}}


def report(args, f: dict) -> dict:
    f["meets_target"] = (f["scheduled_in_workers"] == 0 and f["awaiting_at_kill"] == f["orders"] and f["out_of_stock_cancelled_s"] <= 2
                         and f["cancel_answered_s"] <= 2 and f["lateness_s"]["max"] <= 5 and f["lateness_s"]["min"] >= 0
                         and f["timed_out"] == f["timed_out_expected"] == f["timeout_runs_cancelling"]
                         and f["timeout_runs"] == f["orders"] and f["orders_run_twice"] == 0)
    print(common.table([
        ["countdowns held by workers (inspect scheduled)", f["scheduled_in_workers"], "0"],
        ["orders awaiting payment when every worker was killed", f"{f['awaiting_at_kill']:,}", f"{f['orders']:,}"],
        ["out-of-stock order cancelled after restart, s", f["out_of_stock_cancelled_s"], "≤ 2"],
        ["cancel answered after restart, s", f["cancel_answered_s"], "≤ 2"],
        ["orders cancelled payment_timeout", f"{f['timed_out']:,}", f"{f['timed_out_expected']:,}"],
        ["lateness after deadline p50 / p99 / max, s",
         f"{f['lateness_s']['p50']} / {f['lateness_s']['p99']} / {f['lateness_s']['max']}", "max ≤ 5"],
        ["saga.payment_timeout runs (cancelling; orders run twice)",
         f"{f['timeout_runs']:,} ({f['timeout_runs_cancelling']:,}; {f['orders_run_twice']})",
         f"{f['orders']:,} ({f['timed_out_expected']:,}; 0)"],
    ], ["", "measured", "target"]))
    print(f"meets target: {f['meets_target']}; load {f['load_before']} before, {f['load_after']} after")
    print(f"written to {common.write_results(args.results, NAME, f)}")
    return f


if __name__ == "__main__":
    main()
