"""No leak: a worker's RSS sampled over 10,000 sagas (both phases, the real chains).

One worker node (main process + ``--workers`` pool processes, all queues) runs ``--sagas``
orders placed and paid by the closed-loop driver; every ``--every`` completed sagas the RSS of
the node's processes is sampled (psutil). Prints the curve and the growth from the first
sample (after 1,000 sagas: imports, pools and caches are warm by then) to the last.

Each saga also leaves a payment-clock countdown (``saga.payment_timeout``). On RabbitMQ it waits
in the broker's delay ladder until its deadline (docs/saga.md), not in the worker: with the
default ``--payment-timeout`` of 300 s the main process must stay flat too. (Before issue #13 the
worker held them, rate × 300 s of them: +15 % RSS.)

    python bench/memory.py                      # 10,000 sagas, sampled every 1,000
    python bench/memory.py --sagas 50 --every 10
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

NAME = "memory"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sagas", type=int, default=10_000, help="sagas to run (default 10,000)")
    parser.add_argument("--every", type=int, default=0, help="sample every N sagas (default: sagas / 10)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="pool processes (default: cores)")
    parser.add_argument("--inflight", type=int, default=0, help="orders in flight (default 8 per worker)")
    parser.add_argument("--payment-timeout", type=int, default=300, help="the payment clock, s (default 300)")
    common.add_service_args(parser, "emarket_benchmem", 11)
    args = parser.parse_args(argv)
    args.every = args.every or max(1, args.sagas // 10)
    args.inflight = args.inflight or 8 * args.workers
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    os.environ["EMARKET_PAYMENT_TIMEOUT"] = str(args.payment_timeout)
    urls = common.configure(args)
    common.truncate(urls)
    import psutil

    from bench import driver
    from bench.saga import seed
    from tasks import app

    common.purge(app)
    users, products = seed(200, 200)
    samples: list[dict] = []
    with common.Workers(app, args.workers, Path(args.results) / "logs") as workers:
        processes = [psutil.Process(pid) for pid in workers.pids()]

        def sample(done: int) -> None:
            rss = [p.memory_info().rss for p in processes]
            samples.append({"sagas": done, "rss_mb": round(sum(rss) / 2**20, 1),
                            "per_process_mb": [round(r / 2**20, 1) for r in rss]})
            print(f"  {done:>7,} sagas  {samples[-1]['rss_mb']:8.1f} MB  {samples[-1]['per_process_mb']}", flush=True)
            # Written at every sample: a run stopped early still leaves its curve.
            common.write_results(args.results, NAME, {"sagas": args.sagas, "complete": False, "curve": samples})

        print(f"worker RSS (main + {args.workers} pool processes), every {args.every:,} sagas:")
        sample(0)
        outcome = driver.run_sagas(args.sagas, args.inflight, users, products, urls["emarket"].replace("+psycopg2", ""),
                                   on_progress=sample, every=args.every)
        if len({p.pid for p in processes if p.is_running()}) != len(processes):
            print("warning: a pool process was replaced during the run (its RSS restarted)")
    return report(args, samples, outcome)


def report(args, samples, outcome) -> dict:
    base = next((s for s in samples if s["sagas"] >= min(1000, args.every)), samples[-1])
    last = samples[-1]
    half = next(s for s in samples if s["sagas"] >= last["sagas"] // 2)
    growth = 100.0 * (last["rss_mb"] - base["rss_mb"]) / base["rss_mb"]
    # The main process would hold ETA messages (none on RabbitMQ now); the pool processes run the steps.
    main_growth = 100.0 * (last["per_process_mb"][0] - base["per_process_mb"][0]) / base["per_process_mb"][0]
    pool_growth = 100.0 * (sum(last["per_process_mb"][1:]) - sum(base["per_process_mb"][1:])) / sum(base["per_process_mb"][1:])
    payload = {"sagas": args.sagas, "complete": True, "workers": args.workers, "payment_timeout_s": args.payment_timeout,
               "sagas_per_s": round(outcome.per_second(), 1), "failed_sagas": outcome.failed, "curve": samples,
               "growth_from": base["sagas"], "growth_percent": round(growth, 1), "target_percent": 5,
               "meets_target": growth < 5, "main_process_growth_percent": round(main_growth, 1),
               "pool_processes_growth_percent": round(pool_growth, 1),
               "second_half_growth_percent": round(100.0 * (last["rss_mb"] - half["rss_mb"]) / half["rss_mb"], 1)}
    print(f"\ngrowth from {base['sagas']:,} to {last['sagas']:,} sagas: {base['rss_mb']} MB -> {last['rss_mb']} MB "
          f"= {growth:+.1f} % (target < 5 %); {outcome.per_second():.1f} sagas/s, failed {outcome.failed}, "
          f"load {common.load_average()}")
    print(f"  main process (receives the messages): {main_growth:+.1f} %; "
          f"pool processes (run the steps): {pool_growth:+.1f} %; "
          f"second half ({half['sagas']:,} -> {last['sagas']:,}): {payload['second_half_growth_percent']:+.1f} %")
    print(f"written to {common.write_results(args.results, NAME, payload)}")
    return payload


if __name__ == "__main__":
    main()
