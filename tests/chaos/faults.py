"""The faults of a chaos run, injected while the driver works:

- every few seconds, SIGKILL of a random worker or pool process (the stack starts it again);
- at set points of the run's progress, one at a time: the bank answering 500, the run's own
  RabbitMQ node stopped and started (``Services.stop_broker`` / ``start_broker``), the bank timing
  out, the run's own Redis shut down without saving and started again (never the machine's);
- all along, a sample of task messages published twice (``tests.chaos.duplicates``).

The pauses here are the faults' own durations (how long a service stays down), not waits for
an outcome; every "is it back" is a bounded poll.
"""
from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.chaos.rabbit_cluster import RabbitCluster
from tests.support.redis_server import RedisServer
from tests.support.wait import wait_until


class Services:
    """The run's own RabbitMQ node and Redis server, which the faults stop and start again."""

    def __init__(self, broker: RabbitCluster, redis_server: RedisServer):
        self.broker, self.redis = broker, redis_server
        self.broker_down = self.redis_down = False

    def stop_broker(self) -> None:
        self.broker_down = True
        self.broker.ctl(self.broker.nodes[0], "stop_app")

    def start_broker(self) -> None:
        node = self.broker.nodes[0]
        self.broker.ctl(node, "start_app", timeout=120)
        self.broker.ctl(node, "await_startup", timeout=120)
        self.broker_down = False

    def stop_redis(self) -> None:
        self.redis_down = True
        self.redis.shutdown()

    def start_redis(self) -> None:
        if not self.redis.answers():
            self.redis.start()
        self.redis_down = False

    def heal(self) -> None:
        """Whatever happened to the run, leave both services up."""
        if self.broker_down:
            self.start_broker()
        if self.redis_down:
            self.start_redis()


class FaultInjector:
    def __init__(self, cfg, stack, services: Services, progress: Callable[[], float], rng: random.Random,
                 cluster_faults=None):
        self.cfg, self.stack, self.services, self.progress, self.rng = cfg, stack, services, progress, rng
        self.cluster_faults = cluster_faults  # tests.chaos.cluster_faults, on a --cluster run
        self.flag = Path(stack.env["EMARKET_CHAOS_DUPLICATE_FLAG"])
        self.duplicate_log = Path(stack.env["EMARKET_CHAOS_DUPLICATE_LOG"])
        self.timeline: list[tuple[float, str]] = []
        self.counts = {"broker_restarts": 0, "redis_restarts": 0, "bank_error_windows": 0, "bank_timeout_windows": 0}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._t0 = time.monotonic()
        self.one_offs_done = threading.Event()
        self.failures: list[str] = []  # faults that could not be injected or healed
        # Set while a cluster fault is measured: no worker SIGKILL then, so the stall measured is
        # that fault's (a worker started again after a SIGKILL takes seconds on this machine, and
        # with one worker per queue its queue waits meanwhile).
        self.quiet = threading.Event()

    def note(self, what: str) -> None:
        at = round(time.monotonic() - self._t0, 1)
        self.timeline.append((at, what))
        try:
            print(f"[chaos {at:7.1f}s {time.strftime('%H:%M:%S')}, {self.progress():4.0%} started] {what}",
                  file=sys.stderr, flush=True)
        except OSError:  # nobody reads stderr any more: the timeline still has it
            pass

    def start(self) -> None:
        self.flag.touch()
        self.note(f"duplicates on ({self.cfg.duplicate_rate:.0%} of task messages)")
        for target, name in ((self._kill_loop, "killer"), (self._one_offs, "one-offs")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _kill_loop(self) -> None:
        low, high = self.cfg.kill_every
        while not self._stop.wait(self.rng.uniform(low, high)):
            if self.quiet.is_set():
                continue  # a cluster fault is being measured (see ``quiet``)
            self.note(f"SIGKILL {self.stack.kill_one(self.rng)}")

    def _at(self, share: float) -> bool:
        """Wait until the run is ``share`` done; False if the faults were stopped first."""
        while self.progress() < share:
            if self._stop.wait(0.2):
                return False
        return True

    def _one_offs(self) -> None:
        try:
            plan = []
            if self.cfg.bank_faults:
                plan += [(0.15, self._bank_window, "error"), (0.50, self._bank_window, "timeout")]
            if self.cfg.broker_restart:
                plan.append((0.30, self._broker_restart, None))
            if self.cfg.redis_restart:
                plan.append((0.65, self._redis_restart, None))
            if self.cluster_faults is not None:
                plan += [(share, fault, None) for share, fault in self.cluster_faults.plan()]
            for share, fault, arg in sorted(plan, key=lambda p: p[0]):
                if not self._at(share):
                    return
                try:
                    fault(arg) if arg else fault()
                except Exception as error:  # noqa: BLE001 — said in the report; the next fault still comes
                    self.note(f"FAULT FAILED: {getattr(fault, '__name__', fault)}: {type(error).__name__}: {error}")
                    self.failures.append(f"{getattr(fault, '__name__', fault)}: {error}")
        finally:
            self.one_offs_done.set()

    def _bank_window(self, mode: str) -> None:
        self.stack.proxy.set_mode(mode)
        self.counts[f"bank_{mode}_windows"] += 1
        self.note(f"bank answers {'500' if mode == 'error' else 'nothing (timeouts)'}")
        time.sleep(self.cfg.bank_fault_for)  # the fault's duration
        self.stack.proxy.set_mode("ok")
        self.note("bank answers again")

    def _broker_restart(self) -> None:
        self._outage("broker_restarts", ("the run's RabbitMQ node: stop_app", "the run's RabbitMQ node: start_app, back"),
                     self.services.stop_broker, self.services.start_broker, self.cfg.broker_down_for)

    def _redis_restart(self) -> None:
        self._outage("redis_restarts", ("the run's Redis: shutdown nosave", "the run's Redis back (empty)"),
                     self.services.stop_redis, self.services.start_redis, self.cfg.redis_down_for)

    def _outage(self, counter: str, said: tuple[str, str], stop: Callable[[], None], start: Callable[[], None],
                down_for: float) -> None:
        """A service stopped for ``down_for`` seconds, then started again; said and counted."""
        self.note(said[0])
        stop()
        time.sleep(down_for)  # the outage's duration
        start()
        self.counts[counter] += 1
        self.note(said[1])

    def stop(self) -> None:
        """Stop every fault and leave the stack whole: services up, bank answering, no
        duplicates, every worker running."""
        self.halt()
        self.flag.unlink(missing_ok=True)
        self.stack.proxy.set_mode("ok")
        self.services.heal()
        if self.cluster_faults is not None:
            self.cluster_faults.heal()
        wait_until(self.stack.all_alive, timeout=60, interval=0.2, what="every worker to run again")
        self.note("faults stopped")

    def halt(self) -> None:
        """No new fault; the one under way finishes (a stopped service is started again)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def duplicates(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        if self.duplicate_log.exists():
            for line in self.duplicate_log.read_text().split():
                counts[line] = counts.get(line, 0) + 1
        return counts
