"""The faults of a cluster run (``--cluster``), one of each while orders flow:

- ``kill -9`` of the RabbitMQ node that leads the most queues, and its restart;
- ``SIGSTOP`` of another node for 40 s (the one leading the most queues by then), then ``SIGCONT``;
- ``kill -9`` of the PostgreSQL postmaster, and its restart (crash recovery).

Each records when it began and ended (wall-clock UTC, as the saga events' times), so the run
can tell how long each stopped every saga step (``tests.chaos.stalls``). The pauses here are
the faults' own durations, not waits for an outcome.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.chaos.private_pg import PrivatePostgres
from tests.chaos.rabbit_cluster import RabbitCluster

NODE_KILLED, NODE_FROZEN, PG_RESTARTED = "node killed", "node frozen", "postgres restarted"
# Worker SIGKILLs stop this long before a cluster fault (a worker killed just before it is
# running again) and until this long after the fault is over; its stall is measured until then.
QUIET_BEFORE, SETTLE_AFTER = 8.0, 10.0


@dataclass
class FaultWindow:
    kind: str
    began: datetime
    ended: datetime | None = None
    what: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


class ClusterFaults:
    def __init__(self, cfg, cluster: RabbitCluster, postgres: PrivatePostgres, note=print, quiet=None):
        self.cfg, self.cluster, self.postgres, self.note = cfg, cluster, postgres, note
        self.quiet = quiet  # a threading.Event the worker killer honours (FaultInjector.quiet)
        self.windows: list[FaultWindow] = []
        self._killed = None
        self._frozen = None
        self._pg_down = False

    def plan(self) -> list[tuple[float, callable]]:
        """(share of the run started, fault), in order; each measured without worker SIGKILLs.
        Each fault waits for the one before to be over, and a node's way back into the cluster
        is the slow part (killed: 76 s, frozen: 70 s after its 40 s, on a loaded CI machine):
        the PostgreSQL crash, over in seconds, comes between the two node faults, so that all
        three happen while users still arrive (their stalls are measured under load)."""
        return [(0.08, self._measured(self.kill_node)), (0.30, self._measured(self.restart_postgres)),
                (0.45, self._measured(self.freeze_node))]

    def _measured(self, fault):
        def run() -> None:
            if self.quiet is not None:
                self.quiet.set()
                time.sleep(QUIET_BEFORE)  # the last worker killed is running again
            try:
                fault()
                time.sleep(SETTLE_AFTER)  # the stall window runs on after the fault is over
            finally:
                if self.quiet is not None:
                    self.quiet.clear()
        run.__name__ = fault.__name__
        return run

    def kill_node(self) -> None:
        node = self.cluster.busiest()
        leaders = self.cluster.leaders()[node.name]
        window = FaultWindow(NODE_KILLED, _now(), what=f"{node.name} ({leaders} queue leaders)")
        self.windows.append(window)
        self._killed = node
        self.cluster.kill(node)
        self.note(f"kill -9 RabbitMQ {window.what}")
        time.sleep(self.cfg.node_down_for)  # how long the node stays down
        self.cluster.restart(node)
        self._killed = None
        window.ended = _now()
        self.note(f"RabbitMQ {node.name} restarted and back in the cluster")

    def freeze_node(self) -> None:
        leaders = self.cluster.leaders()
        candidates = [n for n in self.cluster.nodes if n is not self._killed]
        node = max(candidates, key=lambda n: leaders.get(n.name, 0))
        window = FaultWindow(NODE_FROZEN, _now(), what=f"{node.name} ({leaders.get(node.name, 0)} queue leaders)")
        self.windows.append(window)
        self.cluster.freeze(node)
        self._frozen = node
        self.note(f"SIGSTOP RabbitMQ {window.what} for {self.cfg.node_frozen_for:.0f} s")
        time.sleep(self.cfg.node_frozen_for)  # the freeze's duration
        self.cluster.thaw(node)
        self._frozen = None
        window.ended = _now()
        self.note(f"SIGCONT RabbitMQ {node.name}")
        self.cluster.await_rejoined(node)
        self.note(f"RabbitMQ {node.name} running in the cluster again")

    def restart_postgres(self) -> None:
        window = FaultWindow(PG_RESTARTED, _now(), what=f"postmaster of port {self.postgres.port}")
        self.windows.append(window)
        self._pg_down = True
        self.postgres.kill()
        self.note("kill -9 PostgreSQL's postmaster (its backends gone)")
        time.sleep(self.cfg.pg_down_for)  # how long the server stays down
        self.postgres.restart()
        self._pg_down = False
        window.ended = _now()
        self.note("PostgreSQL started again (crash recovery done)")

    def heal(self) -> None:
        """Whatever happened, leave the cluster and the database running."""
        if self._frozen is not None:
            self.cluster.thaw(self._frozen)
            self._frozen = None
        if self._killed is not None:
            self.cluster.restart(self._killed)
            self._killed = None
        if self._pg_down or not self.postgres.answers():
            self.postgres.restart()
            self._pg_down = False
