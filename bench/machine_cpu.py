"""CPU of the whole machine, by who spent it, between two laps.

The saga and the no-op chain share two cores with PostgreSQL, RabbitMQ, Redis and the bench's
own driver: the workers' CPU alone cannot say why one runs at half the other's rate. This
meter sums user + system seconds of every process on the machine into groups (the workers,
this driver, PostgreSQL, RabbitMQ, Redis, everything else) and reads the machine's idle time,
so a report can say what a saga costs the machine against what a no-op chain does.
"""
from __future__ import annotations

import os

import psutil

GROUPS = ("workers", "driver", "postgres", "rabbitmq", "redis", "other")
_BY_NAME = {"postgres": "postgres", "beam.smp": "rabbitmq", "erl_child_setup": "rabbitmq", "epmd": "rabbitmq",
            "inet_gethost": "rabbitmq", "redis-server": "redis"}


class MachineCpu:
    def __init__(self, worker_pids: list[int]):
        self.workers = set(worker_pids)
        self.driver = os.getpid()
        self.seen: dict[tuple[int, float], float] = {}  # (pid, create time) -> CPU seconds at the last lap
        self.last_idle = self._idle()
        self.lap()

    def _group(self, process: psutil.Process) -> str:
        if process.pid in self.workers:
            return "workers"
        if process.pid == self.driver:
            return "driver"
        return _BY_NAME.get(process.info["name"], "other")

    @staticmethod
    def _idle() -> float:
        times = psutil.cpu_times()
        return times.idle + getattr(times, "iowait", 0.0)

    def lap(self) -> dict[str, float]:
        """Seconds of CPU each group spent since the last lap, and the machine's idle seconds
        (summed over cores). A process that ended between laps is not counted."""
        spent = dict.fromkeys(GROUPS, 0.0)
        seen: dict[tuple[int, float], float] = {}
        for process in psutil.process_iter(["name", "cpu_times", "create_time"]):
            times = process.info["cpu_times"]
            if times is None:  # gone, or not ours to read
                continue
            key = (process.pid, process.info["create_time"])
            now = times.user + times.system
            seen[key] = now
            spent[self._group(process)] += now - self.seen.get(key, 0.0)
        self.seen = seen
        idle = self._idle()
        spent["idle"], self.last_idle = idle - self.last_idle, idle
        return spent


def per_item_ms(totals: dict[str, float], items: int) -> dict[str, float]:
    """Milliseconds per item for each group, and their sum as ``busy``."""
    per = {group: round(1000 * seconds / items, 2) for group, seconds in totals.items()}
    per["busy"] = round(sum(v for k, v in per.items() if k != "idle"), 2)
    return per


def add(into: dict[str, float], lap: dict[str, float]) -> None:
    for group, seconds in lap.items():
        into[group] = into.get(group, 0.0) + seconds
