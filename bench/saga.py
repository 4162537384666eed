"""The saga against the engine's ceiling, in the same run on the same broker and workers.

N orders are placed and paid through the real chains (phase 1: order.register → product.check
→ order.await_payment; phase 2: order.start_payment → product.reserve → money.charge →
order.complete), and N no-op chains of the same length over the same queues (run first); W worker
processes consume all queues. Prints sagas/s, no-op chains/s, their ratio, and the phases'
p50/p95/p99 beside the no-op chain's. ``--profile`` records the workers with py-spy during
the saga stage and prints where their time went.

    python bench/saga.py                     # 2,000 orders, one worker process per core
    python bench/saga.py --orders 200 --profile cpu
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

NAME = "saga"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_load_args(parser, orders="orders (and no-op chains) to run", workers="worker processes, all queues",
                         inflight="orders in flight at once", rounds="no-op and saga stages")
    parser.add_argument("--warmup", type=int, default=40, help="orders and chains run first, not counted")
    parser.add_argument("--profile", choices=("wall", "cpu"), help="py-spy the workers during the saga stages: "
                        "wall clock (waits on the services count) or cpu (only samples holding the GIL)")
    common.add_service_args(parser, "emarket_bench", 8)
    return common.parse_load_args(parser, argv)


def seed(users: int, products: int) -> tuple[list[int], list[int]]:
    from sqlalchemy import insert

    from db.account import User, Wallet
    from db.base import utcnow
    from db.emarket import ProductAccounting, ProductDesc
    from emarket.storage import unit_of_work

    now = utcnow()
    user_ids = list(range(1, users + 1))
    with unit_of_work("account") as uow:
        uow.session.execute(insert(User), [{"id": u, "email": f"b{u}@example.com", "name": "Bench", "created_at": now}
                                           for u in user_ids])
        uow.session.execute(insert(Wallet), [{"user_id": u, "balance": 10**15, "frozen": 0, "updated_at": now}
                                             for u in user_ids])
    product_ids = list(range(1, products + 1))
    with unit_of_work("emarket") as uow:
        uow.session.execute(insert(ProductDesc), [{"id": p, "name": f"P{p}", "description": "", "created_at": now,
                                                   "updated_at": now} for p in product_ids])
        uow.session.execute(insert(ProductAccounting), [{"product_id": p, "count": 10**9, "reserved": 0,
                                                         "price": 100 + p} for p in product_ids])
    return user_ids, product_ids


class Profiler:
    """py-spy over the worker node and its pool processes, summarised by inclusive time."""

    def __init__(self, pid: int, out: Path, gil: bool = False):
        self.out = out
        # py-spy comes with the test extras: beside this interpreter, whether or not its venv is on PATH.
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
        self.process = subprocess.Popen([spy, "record", "--subprocesses", "--pid", str(pid), "--format", "raw",
                                         "--rate", "200", "--output", str(out), "--nonblocking", *(["--gil"] if gil else [])],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> dict:
        self.process.send_signal(2)  # SIGINT: py-spy writes its file and exits
        self.process.wait(timeout=60)
        return summarise(self.out)


_LIBRARIES = ("sqlalchemy", "psycopg2", "kombu", "amqp", "billiard", "celery", "redis", "json", "logging")


def _where(frame: str) -> str:
    path = frame.rpartition("(")[2]
    for name in _LIBRARIES + ("emarket/", "tasks/", "db/"):
        if name in path:
            return name.rstrip("/")
    return path.split("/")[0].split(":")[0]


def summarise(path: Path, top: int = 25) -> dict:
    """The pool processes' samples while running a task: self time by library, and the
    inclusive share of the project's own frames and of the round trips under them."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or not any("trace_task" in f for f in frames):
            continue
        n = int(count)
        total += n
        own[_where(frames[-1])] = own.get(_where(frames[-1]), 0) + n
        for frame in set(frames):
            if any(k in frame for k in ("tasks/", "emarket/", "db/", "do_ping", "do_execute", "do_commit",
                                        "Producer.publish", "EventDispatcher.publish", "_store_result")):
                inclusive[frame] = inclusive.get(frame, 0) + n
    share = lambda n: round(100.0 * n / total, 1) if total else 0.0  # noqa: E731
    return {"self_by_library": [(k, share(v)) for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:12]],
            "inclusive": [(k, share(v)) for k, v in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]]}


def main(argv=None) -> dict:
    args = parse_args(argv)
    urls = common.configure(args)
    common.truncate(urls)
    from bench import driver
    from bench.machine_cpu import MachineCpu, add, per_item_ms
    from tasks import app

    common.purge(app)
    users, products = seed(args.users, args.products)
    emarket_dsn = urls["emarket"].replace("+psycopg2", "")
    redis_url = os.environ["EMARKET_RESULT_BACKEND"]
    results = Path(args.results)
    counts_dir = Path(tempfile.mkdtemp(prefix="bench-counts-"))
    env = {"BENCH_COUNTS_DIR": str(counts_dir)}
    workers = common.Workers(app, args.workers, results / "logs", env=env)
    with workers:
        if args.warmup:
            driver.run_noop_chains(args.warmup, args.inflight, redis_url)
            driver.run_sagas(args.warmup, args.inflight, users, products, emarket_dsn, seed=0)
        cpu = MachineCpu(workers.pids())
        noop, sagas = driver.Outcome(), driver.Outcome()
        noop_cpu: dict[str, float] = {}
        saga_cpu: dict[str, float] = {}
        profiler, profile = None, {}
        # Alternating rounds: a burst of load from elsewhere on the machine hits both kinds,
        # not only the one that happened to run then.
        for index, share in enumerate(_shares(args.orders, args.rounds)):
            noop.merge(driver.run_noop_chains(share, args.inflight, redis_url))
            add(noop_cpu, cpu.lap())
            if args.profile and profiler is None:
                profiler = Profiler(workers.process.pid, results / "saga-profile.txt", gil=args.profile == "cpu")
            sagas.merge(driver.run_sagas(share, args.inflight, users, products, emarket_dsn, seed=index + 1))
            add(saga_cpu, cpu.lap())
            if profiler is not None and not profile:  # the first saga round only: no no-op task in it
                profile = profiler.stop()
    machine = {"saga": per_item_ms(saga_cpu, args.orders), "noop_chain": per_item_ms(noop_cpu, args.orders)}
    costs = {"worker_cpu_ms_per_saga": machine["saga"]["workers"],
             "worker_cpu_ms_per_noop_chain": machine["noop_chain"]["workers"],
             "machine_cpu_ms": machine,
             **db_costs(counts_dir, args.warmup + args.orders)}
    return report(args, sagas, noop, profile, costs)


def _shares(total: int, rounds: int) -> list[int]:
    rounds = max(1, min(rounds, total))
    return [total // rounds + (1 if i < total % rounds else 0) for i in range(rounds)]


def db_costs(folder: Path, sagas: int) -> dict:
    """Statements, transactions and connection checkouts per saga, from the workers' counts."""
    totals: dict[str, int] = {}
    by_task: dict[str, dict[str, int]] = {}
    for path in folder.glob("counts-*.json"):
        for key, value in json.loads(path.read_text()).items():
            task, _, kind = key.partition("|")
            if ".bench_" not in task:
                totals[kind] = totals.get(kind, 0) + value
            by_task.setdefault(task, {}).setdefault(kind, 0)
            by_task[task][kind] += value
    shutil.rmtree(folder, ignore_errors=True)
    per = {kind: round(totals.get(kind, 0) / sagas, 2)
           for kind in ("statements", "alone", "commits", "checkouts", "pings")}
    # psycopg2 sends BEGIN and COMMIT as their own round trips; a statement on an autocommit
    # connection is a transaction of its own without them; a pre-ping is a SELECT 1.
    return {"db_statements_per_saga": per["statements"],
            "db_transactions_per_saga": round(per["commits"] + per["alone"], 2),
            "db_commits_per_saga": per["commits"], "db_checkouts_per_saga": per["checkouts"],
            "db_round_trips_per_saga": round(per["statements"] + 2 * per["commits"] + per["pings"], 2),
            "db_statements_per_step": {task: round(c.get("statements", 0) / c["runs"], 2)
                                       for task, c in sorted(by_task.items()) if c.get("runs") and ".bench_" not in task},
            # The task's window (body, next message, result), ms per run: tasks.signals' prerun
            # handler inside it, its postrun handler (the step's log line and latency) outside.
            "cpu_ms_per_run": {task: round(c.get("cpu_us", 0) / 1000 / c["runs"], 3)
                               for task, c in sorted(by_task.items()) if c.get("runs")}}


def report(args, sagas, noop, profile, costs) -> dict:
    phases = {"saga phase 1": sagas.phase1, "no-op chain, 3 tasks": noop.phase1,
              "saga phase 2": sagas.phase2, "no-op chain, 4 tasks": noop.phase2}
    latencies = {name: common.latency_ms(values) for name, values in phases.items()}
    payload = {
        "orders": args.orders, "workers": args.workers, "inflight": args.inflight, "rounds": args.rounds,
        "sagas_per_s": round(sagas.per_second(), 1), "noop_chains_per_s": round(noop.per_second(), 1),
        "throughput_ratio": round(sagas.per_second() / noop.per_second(), 3) if noop.per_second() else None,
        "p99_phase1_ratio": round(latencies["saga phase 1"]["p99"] / latencies["no-op chain, 3 tasks"]["p99"], 2),
        "p99_phase2_ratio": round(latencies["saga phase 2"]["p99"] / latencies["no-op chain, 4 tasks"]["p99"], 2),
        "failed_sagas": sagas.failed, "latency_ms": latencies, **costs, "profile_top": profile,
    }
    print(f"\n{args.orders} orders, {args.workers} worker processes, {args.inflight} in flight, "
          f"{args.rounds} alternating rounds, load {common.load_average()}")
    print(common.table([["sagas (both phases)", payload["sagas_per_s"]],
                        ["no-op chains (3 + 4 tasks)", payload["noop_chains_per_s"]],
                        ["ratio (target >= 0.70)", payload["throughput_ratio"]]], ["throughput", "per s"]))
    print()
    print(common.table([[name, v["p50"], v["p95"], v["p99"]] for name, v in latencies.items()],
                       ["latency, ms", "p50", "p95", "p99"]))
    print(f"p99 phase 1 / no-op: {payload['p99_phase1_ratio']} (target <= 2)   "
          f"p99 phase 2 / no-op: {payload['p99_phase2_ratio']}   failed sagas: {sagas.failed}")
    print("per saga: {worker_cpu_ms_per_saga} ms worker CPU (no-op chain: {worker_cpu_ms_per_noop_chain}), "
          "{db_statements_per_saga} statements in {db_transactions_per_saga} transactions "
          "({db_commits_per_saga} with BEGIN and COMMIT, the others a statement alone), "
          "{db_checkouts_per_saga} checkouts: ~{db_round_trips_per_saga} round trips to PostgreSQL".format(**costs))
    groups = [g for g in costs["machine_cpu_ms"]["saga"] if g != "idle"] + ["idle"]
    print("\nCPU of the whole machine per item, ms (user + system; idle summed over cores)")
    print(common.table([[kind] + [costs["machine_cpu_ms"][key][g] for g in groups]
                        for kind, key in (("saga", "saga"), ("no-op chain", "noop_chain"))], ["per"] + groups))
    print("statements per step:", ", ".join(f"{t} {n}" for t, n in costs["db_statements_per_step"].items()))
    print("worker CPU per run, ms (from the task's start to its end):",
          ", ".join(f"{t} {n}" for t, n in costs["cpu_ms_per_run"].items()))
    if profile:
        print(f"\nworkers' time in tasks (py-spy, {args.profile}"
              + (": waits on PostgreSQL, RabbitMQ and Redis count)" if args.profile == "wall" else ": Python on the CPU)"))
        print("  self, by library: " + ", ".join(f"{k} {v}%" for k, v in profile["self_by_library"]))
        for frame, value in profile["inclusive"]:
            print(f"  {value:5.1f}  {frame}")
    print(f"\nwritten to {common.write_results(args.results, NAME, payload)}")
    return payload


if __name__ == "__main__":
    main()
