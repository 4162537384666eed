"""What every benchmark shares: its own broker vhost, PostgreSQL databases and Redis database
(so other runs on the machine are not disturbed), real ``celery worker`` processes, the
percentiles, and the table printed and written as JSON to ``bench/results/<name>.json``.

The settings are environment variables read once per process (``emarket.config``); this
module sets them *before* anything imports ``tasks``, which reads them at import time.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/ first, not the project
    sys.path.insert(0, str(ROOT))

# Not from celeryconfig: importing it reads the settings, and configure() has not set them yet.
from emarket.broker import QUEUES  # noqa: E402 — importable once the project is on the path
from tests.support import process_group  # noqa: E402 — how every test process is stopped too

RESULTS = ROOT / "bench" / "results"
ALL_QUEUES = QUEUES  # every service queue, as celeryconfig declares them (from emarket.broker)
DATABASES = ("account", "emarket", "bank")


def add_load_args(parser: argparse.ArgumentParser, *, orders: str, workers: str, inflight: str, rounds: str) -> None:
    """The load every saga bench takes: how many orders, processes and checkouts in flight, over
    how many products and shoppers (enough that stock and wallets never run out), in how many
    alternating rounds of the two things it compares."""
    parser.add_argument("--orders", type=int, default=2000, help=f"{orders} (default 2000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help=f"{workers} (default: cores)")
    parser.add_argument("--inflight", type=int, default=0, help=f"{inflight} (default 8 per process)")
    parser.add_argument("--products", type=int, default=200, help="distinct products (stock never runs out)")
    parser.add_argument("--users", type=int, default=200, help="distinct shoppers (wallets never run dry)")
    parser.add_argument("--rounds", type=int, default=4, help=f"alternate {rounds} this many times (default 4)")


def parse_load_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    args.inflight = args.inflight or 8 * args.workers
    return args


def add_service_args(parser: argparse.ArgumentParser, prefix: str, redis_db: int) -> None:
    """Each benchmark has its own vhost, databases and Redis database by default, so two of
    them (or a test run) can share the machine without sharing queues or rows."""
    group = parser.add_argument_group("services (your own, so other runs are not disturbed)")
    group.add_argument("--broker", default=f"amqp://guest:guest@127.0.0.1:5672/{prefix}",
                       help="RabbitMQ URL with the bench's own vhost (created if missing)")
    group.add_argument("--pg", default="postgresql+psycopg2://postgres@127.0.0.1:5432",
                       help="PostgreSQL server URL (no database)")
    group.add_argument("--db-prefix", default=prefix, help="databases <prefix>_account/_emarket/_bank")
    group.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server URL (no database)")
    group.add_argument("--redis-db", type=int, default=redis_db, help="Redis database for results, metrics and caches")
    group.add_argument("--results", default=str(RESULTS), help="folder for the JSON results")


def ensure_vhost(url: str) -> None:
    """The bench's vhost with the broker's layout (as ``emarket broker setup`` declares it);
    created if missing, and deleted and created again only if it holds an older layout that
    RabbitMQ refuses to redeclare (406): deleting a vhost is slow and blocks the broker's other
    vhost operations, so it is not done on every run."""
    from amqp.exceptions import PreconditionFailed

    from emarket import broker
    from emarket.config import settings

    vhost = urlparse(url).path.lstrip("/") or "/"
    lay_out = lambda: broker.setup(url, broker.task_queues(broker.quorum_names(settings().quorum_queues)))  # noqa: E731
    ctl = lambda *a, check=True: shutil.which("rabbitmqctl") and subprocess.run(  # noqa: E731
        ["rabbitmqctl", "-q", *a], check=check, capture_output=True, timeout=900)
    try:
        lay_out()
    except PreconditionFailed:
        ctl("delete_vhost", vhost, check=False)
        ctl("add_vhost", vhost)
        ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        lay_out()
    except Exception:  # noqa: BLE001 — no such vhost yet
        ctl("add_vhost", vhost, check=False)
        ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        lay_out()


def ensure_database(server: str, name: str, fresh: bool = False) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if fresh:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return f"{server}/{name}"


def configure(args, databases=DATABASES, fresh: bool = False) -> dict[str, str]:
    """Create and migrate the bench's databases, ensure its vhost, point this process (and the
    workers it starts) at them. Returns the database URLs by name."""
    from db import migrate

    if "celeryconfig" in sys.modules:  # it has read the settings already: the workers and this process would differ
        raise RuntimeError("bench.common.configure() must run before anything imports celeryconfig or tasks")
    ensure_vhost(args.broker)
    urls = {}
    for name in databases:
        urls[name] = ensure_database(args.pg, f"{args.db_prefix}_{name}", fresh=fresh)
        migrate.upgrade(name, urls[name])
    os.environ.update({
        "EMARKET_BROKER_URL": args.broker,
        "EMARKET_RESULT_BACKEND": f"{args.redis}/{args.redis_db}",
        "EMARKET_REDIS_URL": f"{args.redis}/{args.redis_db}",
        "EMARKET_LOG_LEVEL": "WARNING",
        **{f"EMARKET_DB_{name.upper()}": url for name, url in urls.items()},
    })
    from emarket.config import settings

    settings.cache_clear()
    return urls


def truncate(urls: dict[str, str]) -> None:
    """Empty the bench's tables: every run starts from the same state."""
    from sqlalchemy import text

    from db.engine import get_engine
    from db.schema import METADATA

    for name, url in urls.items():
        tables = ", ".join(f'"{t.name}"' for t in METADATA[name].sorted_tables)
        with get_engine(url).begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def purge(app, queues=ALL_QUEUES) -> None:
    """Empty the queues and the delay ladder (countdowns an earlier run left waiting)."""
    from emarket.broker import DELAY_QUEUES

    with app.connection_for_write() as conn:
        for queue in (*queues, *DELAY_QUEUES):
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # noqa: BLE001 — not declared yet: nothing in it
                pass


class Workers:
    """One real ``celery worker`` node with ``concurrency`` prefork processes on all queues,
    loading the bench's no-op tasks beside the shop's."""

    def __init__(self, app, concurrency: int, log_dir: Path, queues=ALL_QUEUES, env: dict | None = None,
                 loglevel: str = "WARNING", include: str = "bench.noop_tasks"):
        self.app, self.concurrency, self.queues = app, concurrency, queues
        self.name = f"bench-{uuid.uuid4().hex[:8]}@localhost"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.loglevel, self.include = loglevel, include
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{self.name.split('@')[0]}.log"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "tasks", "worker", "-Q", ",".join(self.queues),
                "-c", str(self.concurrency), "-n", self.name, "--without-gossip", "--without-mingle",
                "-l", self.loglevel, "-I", self.include]

    def start(self, timeout: float = 60.0) -> Workers:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                        cwd=str(ROOT), start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self._answers_ping():
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                # Killed, not left behind: an orphan would go on consuming the vhost's queues
                # with this run's settings and stall every later run on it.
                self.kill()
                raise RuntimeError(f"worker did not answer in {timeout}s; see {self.log_path}")
        return self

    def _answers_ping(self) -> bool:
        from kombu.exceptions import OperationalError

        try:
            return bool(self.app.control.ping(destination=[self.name], timeout=0.5))
        except (OperationalError, OSError):  # a loaded broker slow to take a connection: ask again
            return False

    def pids(self) -> list[int]:
        """The node's main process and its pool processes."""
        import psutil

        main = psutil.Process(self.process.pid)
        return [main.pid] + [child.pid for child in main.children(recursive=True)]

    def stop(self, timeout: float = 30.0) -> None:
        # The main process alone: it stops its pool processes warmly, so they run their
        # shutdown hooks (the bench's statement counts).
        process_group.stop(self.process, timeout, main_only=True)

    def kill(self) -> None:
        """SIGKILL the node (main process and pool processes), as a crash would."""
        process_group.kill(self.process)

    def __enter__(self) -> Workers:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def latency_ms(values_s: list[float]) -> dict[str, float]:
    return {f"p{q}": round(percentile(values_s, q) * 1000, 2) for q in (50, 95, 99)}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def table(rows: list[list], headers: list[str]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False)))  # noqa: E731
    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def write_results(folder: str, name: str, payload: dict) -> Path:
    path = Path(folder) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"bench": name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "cpus": os.cpu_count(), "load_average": load_average(), **payload}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
