"""``python -m tests.chaos --orders 1000 --topups 200``: one chaos run over the real stack;
prints its figures and exits 0 only if every invariant held (1 if one broke, 2 if the run
cannot be made here: bad options, RabbitMQ or PostgreSQL not installed, a port taken).

The run starts and stops its own RabbitMQ node and Redis server (the ones its faults restart);
``--cluster`` runs it on three private RabbitMQ nodes and a private PostgreSQL instead, and kills
a node, freezes another and crashes the database while orders flow (docs/cluster.md). The
machine's own RabbitMQ, PostgreSQL and Redis are never restarted."""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from tests.chaos.config import ChaosConfig

# The cluster run's faults (a node killed and back, a node frozen 40 s and back, the database
# crashed and back) take 90-150 s on this machine; 600 orders at this rate arrive over 300 s.
CLUSTER_RATE = 2.0


def parse(argv: list[str] | None = None) -> tuple[ChaosConfig, argparse.Namespace]:
    d = ChaosConfig()
    p = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--orders", type=int, default=d.orders, help="orders to place")
    p.add_argument("--topups", type=int, default=d.topups, help="top-ups to start")
    p.add_argument("--rate", type=float, help=f"new orders per second (default {d.rate:g}; {CLUSTER_RATE:g} with --cluster, "
                   "so that the node and database faults happen while users still arrive)")
    p.add_argument("--clients", type=int, default=d.clients, help="users acting at once (driver threads)")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed (0: a new one each run)")
    p.add_argument("--payment-timeout", type=int, default=d.payment_timeout, help="EMARKET_PAYMENT_TIMEOUT, s")
    p.add_argument("--stuck-after", type=int, default=d.stuck_after, help="EMARKET_SAGA_STUCK_AFTER, s")
    p.add_argument("--beat-interval", type=float, default=d.beat_interval, help="EMARKET_BEAT_INTERVAL, s")
    p.add_argument("--hold-ttl", type=int, default=d.hold_ttl, help="EMARKET_BANK_HOLD_TTL, s")
    p.add_argument("--kill-every", type=float, nargs=2, default=d.kill_every, metavar=("MIN", "MAX"),
                   help="seconds between two SIGKILLs of a worker")
    p.add_argument("--broker-port", type=int, default=d.broker_port,
                   help="AMQP port of the run's own RabbitMQ node (its Erlang distribution port: +20000)")
    p.add_argument("--cluster", action="store_true",
                   help="three private RabbitMQ nodes and a private PostgreSQL, with node and database faults")
    p.add_argument("--cluster-ports", type=int, nargs=3, default=d.cluster_ports, metavar=("P1", "P2", "P3"),
                   help="AMQP ports of the cluster's nodes (each node's Erlang distribution port: +20000)")
    p.add_argument("--pg-port", type=int, default=d.pg_port, help="port of the cluster run's own PostgreSQL")
    p.add_argument("--node-frozen-for", type=float, default=d.node_frozen_for, help="seconds a node stays SIGSTOPped")
    p.add_argument("--stall-bounds", type=float, nargs=3, metavar=("KILLED", "FROZEN", "PG"),
                   default=tuple(d.stall_bounds.values()),
                   help="seconds: the longest a node killed, a node frozen, a PostgreSQL restart may stop every step")
    p.add_argument("--no-broker-restart", action="store_true", help="skip the restart of the run's RabbitMQ node")
    p.add_argument("--no-redis-restart", action="store_true", help="skip the restart of the run's Redis server")
    p.add_argument("--no-bank-faults", action="store_true", help="the bank never fails")
    p.add_argument("--duplicate-rate", type=float, default=d.duplicate_rate, help="share of task messages sent twice")
    p.add_argument("--final-within", type=float, default=d.final_within,
                   help="bound, s: everything final this long after the faults stop")
    p.add_argument("--db-prefix", default=d.db_prefix, help="PostgreSQL databases <prefix>_account/_emarket/_bank")
    p.add_argument("--vhost", default=d.vhost, help="RabbitMQ virtual host of the run")
    p.add_argument("--redis-dbs", type=int, nargs=2, default=d.redis_dbs, metavar=("RESULTS", "CACHE"))
    p.add_argument("--log-dir", type=Path, default=d.log_dir, help="where the processes' logs go")
    p.add_argument("--json", type=Path, help="also write the report as JSON here")
    a = p.parse_args(argv)
    cfg = ChaosConfig(
        orders=a.orders, topups=a.topups, rate=a.rate or (CLUSTER_RATE if a.cluster else d.rate), clients=a.clients, seed=a.seed,
        payment_timeout=a.payment_timeout, stuck_after=a.stuck_after, beat_interval=a.beat_interval,
        hold_ttl=a.hold_ttl, kill_every=tuple(a.kill_every),
        # A cluster run's broker faults are its node kill and freeze; it keeps Redis up.
        broker_restart=not (a.no_broker_restart or a.cluster), redis_restart=not (a.no_redis_restart or a.cluster),
        broker_port=a.broker_port, cluster=a.cluster, cluster_ports=tuple(a.cluster_ports), pg_port=a.pg_port, node_frozen_for=a.node_frozen_for,
        bank_faults=not a.no_bank_faults, duplicate_rate=a.duplicate_rate,
        stall_bounds=dict(zip(d.stall_bounds, a.stall_bounds, strict=False)),
        final_within=a.final_within, db_prefix=a.db_prefix, vhost=a.vhost, redis_dbs=tuple(a.redis_dbs),
        log_dir=a.log_dir)
    return cfg, a


def main(argv: list[str] | None = None) -> int:
    cfg, args = parse(argv)
    # SIGTERM (a CI timeout) unwinds like Ctrl-C: the runner's cleanup stops every process and
    # server it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not cfg.seed:
        import time

        cfg.seed = time.time_ns() % 1_000_000
    from tests.chaos.rabbit_cluster import ClusterError
    from tests.chaos.report import render, to_json  # after parsing: --help needs no services
    from tests.chaos.runner import run

    try:
        report = run(cfg)
    except ClusterError as error:
        print(f"python -m tests.chaos: {error}", file=sys.stderr)
        return 2
    print(render(report))
    print(f"logs: {cfg.log_dir}")
    if args.json:
        args.json.write_text(to_json(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
