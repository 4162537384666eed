"""A peer on the same work: emarket's phase 2 (start payment, reserve stock, charge the wallet,
complete) as Celery chains, then as a DBOS Transact workflow, in the same run on the same
PostgreSQL, over the same business code, N orders each with the same concurrency.

emarket: W worker processes consume the chains; ``--inflight`` orders are paid at once.
DBOS: W processes each run DBOS with ``inflight / W`` threads calling the workflow, so the
same number of checkouts are in flight on the same number of processes.

The orders are paid in ``--rounds`` alternating rounds (emarket's share, then DBOS's, and
again), as bench/saga.py alternates its stages: a change of load on the shared machine falls on
both engines alike. emarket's workers stay up, idle, during DBOS's rounds.

    python bench/peer_dbos.py               # 2,000 orders each, one process per core
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

NAME = "peer_dbos"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_load_args(parser, orders="orders paid by each engine", workers="processes per engine",
                         inflight="checkouts in flight", rounds="emarket and DBOS")
    common.add_service_args(parser, "emarket_benchpeer", 10)
    return common.parse_load_args(parser, argv)


def seed_orders(count: int, users: list[int], products: list[int], seed: int) -> list[tuple[str, int]]:
    """Orders already awaiting payment (phase 1 done), written straight into the tables."""
    import random

    from sqlalchemy import insert

    from db.base import utcnow
    from db.emarket import Order, OrderItem

    rng = random.Random(seed)
    now = utcnow()
    orders, items, pending = [], [], []
    for _ in range(count):
        order_id, user = str(uuid.uuid4()), rng.choice(users)
        chosen = sorted(rng.sample(products, rng.randint(1, 2)))
        lines = [(p, rng.randint(1, 2), 100 + p) for p in chosen]
        orders.append({"id": order_id, "user_id": user, "status": "awaiting_payment",
                       "total": sum(q * price for _, q, price in lines), "payment_deadline": now + timedelta(hours=1),
                       "correlation_id": uuid.uuid4().hex, "created_at": now, "updated_at": now})
        items += [{"order_id": order_id, "product_id": p, "quantity": q, "price": price} for p, q, price in lines]
        pending.append((order_id, user))
    from emarket.storage import unit_of_work

    with unit_of_work("emarket") as uow:
        uow.session.execute(insert(Order), orders)
        uow.session.execute(insert(OrderItem), items)
    return pending


def _plain(url: str) -> str:
    return url.replace("+psycopg2", "")


def _dbos_process(index: int, pending: list, threads: int, app_url: str, sys_url: str, go, out) -> None:
    """One DBOS process: ``threads`` shoppers each paying their share of orders in turn."""
    import threading

    from dbos import DBOS

    from bench import dbos_checkout

    checkout = dbos_checkout.define(app_url)
    DBOS(config={"name": "emarket-bench", "system_database_url": sys_url, "executor_id": f"bench-{index}",
                 "log_level": "WARNING", "sys_db_pool_size": threads + 4,
                 "max_executor_threads": max(threads * 2, 8)})
    DBOS.launch()
    timings, outcomes = [], {}
    lock = threading.Lock()

    def shopper(share):
        for order_id, user_id in share:
            start = time.time()
            try:
                outcome = checkout(order_id, user_id)
            except Exception as error:  # noqa: BLE001 — counted, and shown in the outcomes
                outcome = f"error {type(error).__name__}"
            with lock:
                timings.append((start, time.time()))
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

    crew = [threading.Thread(target=shopper, args=(pending[i::threads],)) for i in range(threads)]
    go.wait()
    for thread in crew:
        thread.start()
    for thread in crew:
        thread.join()
    out.put((timings, outcomes))
    DBOS.destroy()


def _dbos_process_reporting(*args) -> None:
    out = args[-1]
    try:
        _dbos_process(*args)
    except BaseException:  # noqa: BLE001 — the parent must hear of it, not wait for a result that never comes
        import traceback

        out.put(("error", traceback.format_exc()))


def run_dbos(pending, workers: int, inflight: int, app_url: str, sys_url: str) -> dict:
    context = multiprocessing.get_context("spawn")
    go, out = context.Event(), context.Queue()
    threads = max(1, inflight // workers)
    processes = [context.Process(target=_dbos_process_reporting, args=(i, pending[i::workers], threads, app_url, sys_url, go, out))
                 for i in range(workers)]
    for process in processes:
        process.start()
    time.sleep(0.5)  # let every process launch DBOS before the clock starts (they wait on `go`)
    go.set()
    timings, outcomes = [], {}
    for _ in processes:
        part, counts = out.get(timeout=1800)
        if part == "error":
            raise RuntimeError(f"a DBOS process failed:\n{counts}")
        timings += part
        for key, value in counts.items():
            outcomes[key] = outcomes.get(key, 0) + value
    for process in processes:
        process.join(timeout=60)
    seconds = max(end for _, end in timings) - min(start for start, _ in timings)
    return {"seconds": seconds, "latencies": [end - start for start, end in timings], "outcomes": outcomes}


def merged(total: dict, part: dict) -> dict:
    """Two DBOS rounds' figures as one: their seconds and latencies added, outcomes counted."""
    outcomes = dict(total.get("outcomes", {}))
    for key, value in part["outcomes"].items():
        outcomes[key] = outcomes.get(key, 0) + value
    return {"seconds": total.get("seconds", 0.0) + part["seconds"],
            "latencies": total.get("latencies", []) + part["latencies"], "outcomes": outcomes}


def main(argv=None) -> dict:
    args = parse_args(argv)
    urls = common.configure(args)
    common.truncate(urls)
    sys_url = _plain(common.ensure_database(args.pg, f"{args.db_prefix}_dbos", fresh=True))
    from dbos import DBOS, SQLAlchemyDatasource

    from bench import driver
    from bench.saga import _shares, seed
    from tasks import app

    common.purge(app)
    users, products = seed(args.users, args.products)
    DBOS.migrate(sys_url)
    SQLAlchemyDatasource.migrate(_plain(urls["emarket"]))

    emarket, peer = driver.Outcome(), {}
    with common.Workers(app, args.workers, Path(args.results) / "logs"):
        for index, share in enumerate(_shares(args.orders, args.rounds)):
            pending = seed_orders(share, users, products, seed=2 * index + 1)
            emarket.merge(driver.run_payments(pending, args.inflight, _plain(urls["emarket"])))
            pending = seed_orders(share, users, products, seed=2 * index + 2)
            peer = merged(peer, run_dbos(pending, args.workers, args.inflight, urls["emarket"], sys_url))
    return report(args, emarket, peer)


def report(args, emarket, peer) -> dict:
    dbos_per_s = len(peer["latencies"]) / peer["seconds"] if peer["seconds"] else 0.0
    payload = {
        "orders": args.orders, "processes": args.workers, "inflight": args.inflight, "rounds": args.rounds,
        "emarket_phase2": {"per_s": round(emarket.per_second(), 1), "failed": emarket.failed,
                           "latency_ms": common.latency_ms(emarket.phase2)},
        "dbos": {"per_s": round(dbos_per_s, 1), "outcomes": peer["outcomes"],
                 "latency_ms": common.latency_ms(peer["latencies"])},
    }
    payload["dbos_over_emarket_throughput"] = round(dbos_per_s / emarket.per_second(), 2) if emarket.per_second() else None
    print(f"\n{args.orders} checkouts each, {args.workers} processes, {args.inflight} in flight, "
          f"{args.rounds} alternating rounds, load {common.load_average()}")
    rows = [["emarket phase 2 (Celery chains)", payload["emarket_phase2"]["per_s"], *payload["emarket_phase2"]["latency_ms"].values()],
            ["DBOS Transact workflow", payload["dbos"]["per_s"], *payload["dbos"]["latency_ms"].values()]]
    print(common.table(rows, ["checkout: start payment, reserve, charge, complete", "per s", "p50 ms", "p95 ms", "p99 ms"]))
    print(f"DBOS / emarket throughput: {payload['dbos_over_emarket_throughput']}   "
          f"outcomes: emarket failed {emarket.failed}, DBOS {peer['outcomes']}")
    print(f"\nwritten to {common.write_results(args.results, NAME, payload)}")
    return payload


if __name__ == "__main__":
    main()
