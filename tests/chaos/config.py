"""The chaos run's knobs, and the environment every process of the run shares.

The run starts its own RabbitMQ node (or three) and its own Redis server, and keeps to its own
PostgreSQL databases (on the cluster run, its own PostgreSQL), so it can share a machine with
other test runs: the brokers and the Redis its faults stop and start are its own.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.settings import PG_SERVER

DATABASES = ("account", "emarket", "bank")
BANK_ADMIN_KEY = "chaos-admin-key"
BANK_MERCHANT_KEY = "chaos-merchant-key"
MERCHANT_ACCOUNT = "40000000000000000077"
PIN = "4321"


@dataclass
class ChaosConfig:
    orders: int = 1000
    topups: int = 200
    rate: float = 8.0  # new orders per second (top-ups are spread over the same span)
    clients: int = 24  # driver threads: users acting at once
    seed: int = 0
    # The system's clocks, short so a run sees timeouts, sweeps and expiries happen.
    payment_timeout: int = 12
    stuck_after: int = 20
    beat_interval: float = 4.0
    hold_ttl: int = 30
    # Faults.
    kill_every: tuple[float, float] = (2.0, 5.0)
    broker_restart: bool = True
    broker_down_for: float = 5.0
    redis_restart: bool = True
    redis_down_for: float = 3.0
    bank_faults: bool = True
    bank_fault_for: float = 6.0
    duplicate_rate: float = 0.05
    # Bounds.
    final_within: float = 150.0  # every order and top-up final this long after the faults stop
    drain_within: float = 60.0
    # The single-node run's own RabbitMQ node (the broker restart stops and starts it).
    broker_port: int = 5780
    # The cluster run (--cluster): three private RabbitMQ nodes and a private PostgreSQL, so a
    # node can be killed and frozen and the database crashed; the machine's own are not used.
    cluster: bool = False
    cluster_ports: tuple[int, int, int] = (5781, 5782, 5783)
    pg_port: int = 5481
    node_down_for: float = 5.0  # a killed node is started again after this long
    node_frozen_for: float = 40.0
    pg_down_for: float = 1.0  # the postmaster is started again this long after its processes are gone
    # The longest time a fault may stop every saga step (issue #21's bounds; docs/cluster.md).
    stall_bounds: dict = field(default_factory=lambda: {"node killed": 5.0, "node frozen": 15.0,
                                                        "postgres restarted": 10.0})
    # Isolation.
    pg_server: str = PG_SERVER
    redis_server: str = ""  # the run's own Redis server, once started (runner.py)
    db_prefix: str = "emarket_chaos"
    vhost: str = "emarket_chaos"
    redis_dbs: tuple[int, int] = (7, 8)  # 5, 6 the suite; 11, 12 fuzz and security; 13, 14 compose-test
    log_dir: Path = field(default_factory=lambda: Path(f"/tmp/emarket-chaos-{os.getpid()}"))

    @property
    def users(self) -> int:
        return max(20, self.orders // 10)

    def db_url(self, name: str) -> str:
        return f"{self.pg_server}/{self.db_prefix}_{name}"

    @property
    def broker_ports(self) -> tuple[int, ...]:
        """The AMQP ports of the run's own RabbitMQ nodes."""
        return tuple(self.cluster_ports) if self.cluster else (self.broker_port,)

    @property
    def broker_url(self) -> str:
        """The broker as every process of the run is told (the cluster run: the failover list of
        its three nodes, the first node first; each worker starts from another, stack.py)."""
        return ";".join(f"amqp://guest:guest@127.0.0.1:{port}/{self.vhost}" for port in self.broker_ports)

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


def environment(cfg: ChaosConfig) -> dict[str, str]:
    """EMARKET_* for every process of the run (the bank URL is added once the proxy listens)."""
    results_db, cache_db = cfg.redis_dbs
    return {
        "EMARKET_DB_ACCOUNT": cfg.db_url("account"),
        "EMARKET_DB_EMARKET": cfg.db_url("emarket"),
        "EMARKET_DB_BANK": cfg.db_url("bank"),
        "EMARKET_BROKER_URL": cfg.broker_url,
        "EMARKET_RESULT_BACKEND": f"{cfg.redis_server}/{results_db}",
        "EMARKET_REDIS_URL": f"{cfg.redis_server}/{cache_db}",
        "EMARKET_PAYMENT_TIMEOUT": str(cfg.payment_timeout),
        "EMARKET_SAGA_STUCK_AFTER": str(cfg.stuck_after),
        "EMARKET_BEAT_INTERVAL": str(cfg.beat_interval),
        "EMARKET_REPLY_TIMEOUT": "5",
        "EMARKET_BANK_ADMIN_KEY": BANK_ADMIN_KEY,
        "EMARKET_BANK_MERCHANT_KEY": BANK_MERCHANT_KEY,
        "EMARKET_BANK_MERCHANT_ACCOUNT": MERCHANT_ACCOUNT,
        "EMARKET_BANK_HOLD_TTL": str(cfg.hold_ttl),
        "EMARKET_BANK_TIMEOUT": "2",
        "EMARKET_TOPUP_POLL_INTERVAL": "0.5",
        "EMARKET_TOPUP_POLL_MAX": "2",
        "EMARKET_TOPUP_SWEEP_AFTER": "10",
        "EMARKET_LOG_LEVEL": "INFO",
        "EMARKET_CHAOS_DUPLICATE_FLAG": str(cfg.log_dir / "duplicate.on"),
        "EMARKET_CHAOS_DUPLICATE_LOG": str(cfg.log_dir / "duplicates.log"),
        "EMARKET_CHAOS_DUPLICATE_RATE": str(cfg.duplicate_rate),
    }
