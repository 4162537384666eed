"""Private RabbitMQ nodes: three clustered together, for a chaos run that kills and freezes
them, or one alone, for the single-node chaos run that stops and starts its broker.

Each node has its own AMQP and distribution ports, data and log folders, configuration (the
operators' settings of ``deploy/rabbitmq/cluster.conf`` plus its listener) and the run's own
Erlang cookie (a private ``HOME``), and runs as a child of this process through Debian's
``/usr/lib/rabbitmq/bin`` scripts, not the service wrapper, so the machine's own node on 5672,
its cookie and its ``rabbitmq-env.conf`` are never read or touched.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

from emarket.config import PROJECT_ROOT
from tests.support.wait import wait_until

# Debian's scripts (not the service wrapper, which would switch to the rabbitmq user and its
# cookie); overridable for a machine that keeps them elsewhere.
RABBIT_BIN = Path(os.environ.get("EMARKET_CHAOS_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))
CLUSTER_CONF = PROJECT_ROOT / "deploy" / "rabbitmq" / "cluster.conf"
DIST_OFFSET = 20000  # a node's Erlang distribution port: its AMQP port + this


class ClusterError(RuntimeError):
    """The cluster cannot be run here (no RabbitMQ, a port taken): one line for the operator."""


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_ports(start: int, count: int = 3) -> list[int]:
    """``count`` ports from ``start`` on that are free, each with its distribution port free too."""
    found: list[int] = []
    port = start
    while len(found) < count and port < start + 1000:
        if port_free(port) and port_free(port + DIST_OFFSET):
            found.append(port)
        port += 1
    return found


def check_ports(ports: list[int]) -> None:
    for port in ports:
        if not port_free(port):
            raise ClusterError(f"port {port} is already taken: choose other ports (--cluster-ports, --pg-port)")


class Node:
    def __init__(self, index: int, port: int, folder: Path):
        self.index, self.port, self.folder = index, port, folder
        self.name = f"emarket-chaos-{port}@localhost"
        self.process: subprocess.Popen | None = None
        self.frozen = False

    @property
    def pid_file(self) -> Path:
        return self.folder / "beam.pid"

    def beam_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


class RabbitCluster:
    def __init__(self, folder: Path, ports: list[int], vhost: str):
        if not (RABBIT_BIN / "rabbitmq-server").exists():
            raise ClusterError(f"RabbitMQ is not installed here ({RABBIT_BIN}/rabbitmq-server not found): "
                               "apt-get install rabbitmq-server")
        if len(ports) not in (1, 3) or len(set(ports)) != len(ports):
            raise ClusterError(f"a cluster needs three different AMQP ports (a single node one), not {ports}")
        check_ports([*ports, *(p + DIST_OFFSET for p in ports)])
        self.folder, self.vhost = folder, vhost
        self.home = folder / "home"
        self.nodes = [Node(i, port, folder / f"node{i + 1}") for i, port in enumerate(ports)]

    # --- URLs ------------------------------------------------------------------------------------

    def url(self, node: Node) -> str:
        return f"amqp://guest:guest@127.0.0.1:{node.port}/{self.vhost}"

    # --- start and stop --------------------------------------------------------------------------

    def start(self) -> RabbitCluster:
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        for node in self.nodes:
            self._write_config(node)
            self._spawn(node)
        for node in self.nodes:
            self._await(node)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first.name, timeout=120)
            self.ctl(node, "start_app", timeout=120)
        wait_until(lambda: self.running_nodes() == len(self.nodes), timeout=60, interval=0.5,
                   what=f"{len(self.nodes)} running nodes")
        self.ctl(first, "add_vhost", self.vhost)
        self.ctl(first, "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")
        return self

    def _write_config(self, node: Node) -> None:
        node.folder.mkdir(parents=True, exist_ok=True)
        shared = CLUSTER_CONF.read_text()
        (node.folder / "rabbitmq.conf").write_text(
            f"# The operators' settings ({CLUSTER_CONF.relative_to(PROJECT_ROOT)}), then this node's own.\n"
            f"{shared}\nlisteners.tcp.default = {node.port}\nloopback_users = none\n")
        (node.folder / "enabled_plugins").write_text("[].\n")
        (node.folder / "rabbitmq-env.conf").write_text("")

    def _env(self, node: Node) -> dict[str, str]:
        return {**{k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
                "HOME": str(self.home), "RABBITMQ_CONF_ENV_FILE": str(node.folder / "rabbitmq-env.conf"),
                "RABBITMQ_NODENAME": node.name, "RABBITMQ_NODE_PORT": str(node.port),
                "RABBITMQ_DIST_PORT": str(node.port + DIST_OFFSET),
                "RABBITMQ_CONFIG_FILE": str(node.folder / "rabbitmq"),
                "RABBITMQ_MNESIA_BASE": str(node.folder / "mnesia"), "RABBITMQ_LOG_BASE": str(node.folder / "log"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.folder / "enabled_plugins"),
                "RABBITMQ_PID_FILE": str(node.pid_file), "ERL_EPMD_ADDRESS": "127.0.0.1"}

    def _spawn(self, node: Node) -> None:
        node.pid_file.unlink(missing_ok=True)
        with open(node.folder / "server.log", "ab") as log:
            node.process = subprocess.Popen([str(RABBIT_BIN / "rabbitmq-server")], env=self._env(node),
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

    def _await(self, node: Node, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if node.process.poll() is not None:
                raise ClusterError(f"RabbitMQ node {node.name} exited at start; see {node.folder / 'server.log'}")
            if self.ctl(node, "await_startup", "--timeout", "10", check=False, timeout=20).returncode == 0:
                return
        raise ClusterError(f"RabbitMQ node {node.name} did not start in {timeout:.0f} s")

    def stop(self) -> None:
        """Every node gone, whatever state it is in (a frozen one is thawed to die)."""
        for node in self.nodes:
            pid = node.beam_pid()
            for sig in (signal.SIGCONT, signal.SIGKILL):
                if pid:
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass
            if node.process and node.process.poll() is None:
                try:
                    os.killpg(node.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                node.process.wait(timeout=30)

    # --- faults ----------------------------------------------------------------------------------

    def kill(self, node: Node) -> None:
        """``kill -9`` of the node's Erlang VM, as a crash of its host would."""
        os.kill(node.beam_pid(), signal.SIGKILL)
        node.process.wait(timeout=30)

    def restart(self, node: Node) -> None:
        """Start a killed node again on its own data: it rejoins the cluster by itself."""
        self._spawn(node)
        self._await(node)
        self.await_rejoined(node)

    def await_rejoined(self, node: Node, timeout: float = 120) -> None:
        """Every node running and no partition seen by any of them (pause_minority lets a node
        that was cut off or frozen pause and rejoin by itself)."""
        wait_until(lambda: self.running_nodes() == len(self.nodes) and not self.partitioned(), timeout=timeout,
                   interval=0.5,
                   what=f"{node.name} to rejoin the cluster")

    def partitioned(self) -> bool:
        for node in self.nodes:
            out = self.ctl(node, "eval", "rabbit_node_monitor:partitions().", check=False, timeout=30).stdout.strip()
            if out != "[]":
                return True
        return False

    def freeze(self, node: Node) -> None:
        os.kill(node.beam_pid(), signal.SIGSTOP)
        node.frozen = True

    def thaw(self, node: Node) -> None:
        os.kill(node.beam_pid(), signal.SIGCONT)
        node.frozen = False

    # --- what the cluster says -------------------------------------------------------------------

    def ctl(self, node: Node, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        """``rabbitmqctl`` on ``node``. With ``check=False`` (a poll's question) a call that does not
        finish in ``timeout`` is an answer too, a failed one (exit 124, as timeout(1) says): the
        tool's own VM takes seconds of CPU to start, and on a loaded machine the poll asks again."""
        argv = [str(RABBIT_BIN / "rabbitmqctl"), "-q", "-n", node.name, *args]
        try:
            result = subprocess.run(argv, env=self._env(node), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            if check:
                raise
            return subprocess.CompletedProcess(argv, 124, "", f"no answer in {timeout:.0f} s")
        if check and result.returncode != 0:
            raise ClusterError(f"rabbitmqctl {' '.join(args)} on {node.name}: {result.stderr.strip() or result.stdout}")
        return result

    def _answering(self) -> Node:
        """A node that is neither frozen nor down, to ask."""
        for node in self.nodes:
            if not node.frozen and node.process and node.process.poll() is None:
                return node
        raise ClusterError("no node of the cluster is up")

    def running_nodes(self) -> int:
        out = self.ctl(self._answering(), "eval", "length(rabbit_nodes:all_running()).", check=False).stdout
        return int(out.strip()) if out.strip().isdigit() else 0

    def queues(self) -> list[tuple[str, str, int]]:
        """(queue, leader node, messages) for every queue of the run's vhost."""
        out = self.ctl(self._answering(), "list_queues", "-p", self.vhost, "--no-table-headers", "name", "leader",
                       "messages", timeout=60).stdout
        rows = []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3:
                rows.append((parts[0], parts[1], int(parts[2]) if parts[2].isdigit() else 0))
        return rows

    def leaders(self) -> Counter:
        return Counter(leader for _, leader, _ in self.queues())

    def node_named(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def busiest(self) -> Node:
        """The node that leads the most queues."""
        return self.node_named(self.leaders().most_common(1)[0][0])
