"""The real stack of a chaos run: one ``celery worker`` per queue and ``celery beat`` as
supervised subprocesses (a dead one is started again), the bank under gunicorn behind the
fault-injecting proxy. Every process loads ``tests.chaos.duplicates`` as its Celery app."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil

from emarket.config import PROJECT_ROOT
from tests.chaos.bank_proxy import BankProxy
from tests.support import process_group
from tests.support.bank_server import BankServer
from tests.support.wait import wait_until

CHAOS_APP = "tests.chaos.duplicates"


def starting_from(urls: str, n: int) -> str:
    """The ``;``-separated failover list rotated to start at its ``n``-th URL (modulo its length)."""
    parts = urls.split(";")
    n %= len(parts)
    return ";".join(parts[n:] + parts[:n])
# One worker per service queue; the busy ones get two pool processes.
QUEUES = {"order": 2, "product": 2, "money": 2, "saga": 2, "money_add": 2, "account": 1}


class Supervised:
    """One subprocess in its own process group, started again by the supervisor if it dies."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                            cwd=PROJECT_ROOT, start_new_session=True)
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pool_children(self) -> list[int]:
        try:
            return [c.pid for c in psutil.Process(self.process.pid).children()]
        except (psutil.Error, AttributeError):
            return []

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash of the machine's worker would."""
        process_group.kill(self.process)

    def stop(self, timeout: float = 15.0) -> None:
        process_group.stop(self.process, timeout)


class Stack:
    def __init__(self, app, env: dict, log_dir: Path, hold_for: float):
        self.app, self.env, self.log_dir = app, env, log_dir
        self.bank = BankServer(log_dir, env=env, workers=3)
        self.proxy: BankProxy | None = None
        self.hold_for = hold_for
        self.workers: list[Supervised] = []
        self.beat: Supervised | None = None
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._lock = threading.Lock()
        self.supervised: list[Supervised] = []
        self.kills = {"worker": 0, "pool_process": 0}

    # --- start and stop ------------------------------------------------------------------------

    def start(self) -> Stack:
        self.bank.start()
        self.proxy = BankProxy(self.bank.url, self.hold_for).start()
        self.env["EMARKET_BANK_URL"] = self.proxy.url  # the workers reach the bank through it
        celery = [sys.executable, "-m", "celery", "-A", CHAOS_APP]
        for n, (queue, concurrency) in enumerate(QUEUES.items()):
            # On a cluster each worker starts from another node of the failover list, so every
            # queue's consumers and every node's connections are spread as on several hosts.
            env = {**self.env, "EMARKET_BROKER_URL": starting_from(self.env["EMARKET_BROKER_URL"], n)}
            self.workers.append(Supervised(
                f"worker-{queue}", celery + ["worker", "-Q", queue, "-c", str(concurrency), "-n", f"chaos-{queue}@%h",
                                             "-l", "INFO"],
                env, self.log_dir))
        self.beat = Supervised("beat", celery + ["beat", "-s", str(self.log_dir / "beat-schedule"), "-l", "INFO"],
                               self.env, self.log_dir)
        for process in self.workers:
            process.spawn()
        for process in self.workers:
            wait_until(lambda p=process: self._answers_ping(p), timeout=90, interval=0.3,
                       what=f"{process.name} to answer ping")
        self.beat.spawn()
        self.supervised = [*self.workers, self.beat]
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._supervisor.start()
        return self

    def _answers_ping(self, process: Supervised) -> bool:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited; see {process.log_path}")
        node = process.argv[process.argv.index("-n") + 1].replace("%h", os.uname().nodename)
        return bool(self.app.control.ping(destination=[node], timeout=0.5))

    def _supervise(self) -> None:
        while not self._stopping.wait(0.3):
            with self._lock:
                for process in self.supervised:
                    if not self._stopping.is_set() and not process.alive():
                        process.spawn()

    def all_alive(self) -> bool:
        return all(p.alive() for p in self.supervised)

    def stop_beat(self) -> None:
        """Once every order is final: no more sweeps, so the queues can drain to empty."""
        with self._lock:
            self.supervised.remove(self.beat)
        self.beat.stop()

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor:
            self._supervisor.join(timeout=5)
        for process in [*self.workers, self.beat]:
            if process:
                process.stop()
        if self.proxy:
            self.proxy.stop()
        self.bank.stop()

    # --- faults --------------------------------------------------------------------------------

    def kill_one(self, rng: random.Random) -> str:
        """SIGKILL a random worker (the supervisor starts it again) or one of its pool processes
        (the worker replaces it); either way the task it ran is redelivered."""
        process = rng.choice(self.workers)
        children = process.pool_children()
        if children and rng.random() < 0.35:
            try:
                os.kill(rng.choice(children), signal.SIGKILL)
                self.kills["pool_process"] += 1
                return f"a pool process of {process.name}"
            except ProcessLookupError:
                pass
        if not process.alive():
            return f"nothing ({process.name} is starting again)"
        process.kill()
        self.kills["worker"] += 1
        return process.name

    def restarts(self) -> int:
        return sum(p.starts - 1 for p in [*self.workers, self.beat] if p)
