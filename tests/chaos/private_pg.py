"""A PostgreSQL server of the run's own (its own data folder, port and socket folder), so the
chaos run may ``kill -9`` its postmaster; the machine's server on 5432 is never touched.

It uses this machine's PostgreSQL binaries (``/usr/lib/postgresql/<version>/bin``) and runs as
the ``postgres`` user, since PostgreSQL refuses to run as root.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg2

from tests.chaos.rabbit_cluster import ClusterError, check_ports
from tests.support.wait import wait_until

PG_ROOT = Path("/usr/lib/postgresql")
RUN_AS = "postgres"


def binaries() -> Path:
    found = sorted(PG_ROOT.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)) if PG_ROOT.exists() else []
    if not found:
        raise ClusterError(f"PostgreSQL's server binaries are not installed here ({PG_ROOT}/*/bin/initdb): "
                           "apt-get install postgresql")
    return found[-1].parent


class PrivatePostgres:
    """``log_dir`` receives the server's log when it stops; its data lives in a folder of its own
    under the system's temporary folder, which the ``postgres`` user can reach (a test's
    ``tmp_path`` is under a folder only root may enter), removed at the end."""

    def __init__(self, log_dir: Path, port: int):
        self.bin = binaries()
        try:
            self.user = pwd.getpwnam(RUN_AS)
        except KeyError as missing:
            raise ClusterError(f"no '{RUN_AS}' user to run PostgreSQL as") from missing
        check_ports([port])
        self.log_dir, self.port = log_dir, port
        self.folder = Path(tempfile.mkdtemp(prefix=f"emarket-chaos-pg-{port}-"))
        self.data, self.sockets = self.folder / "data", self.folder / "sockets"
        self.kills = 0

    @property
    def server_url(self) -> str:
        """What tests.settings.PG_SERVER holds for the machine's server."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}"

    def _as_postgres(self, *argv: str, timeout: float = 120) -> None:
        def demote():
            os.setgid(self.user.pw_gid)
            os.setuid(self.user.pw_uid)

        result = subprocess.run(list(argv), preexec_fn=demote, capture_output=True, text=True, timeout=timeout,
                                cwd="/", env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"})
        if result.returncode != 0:
            raise ClusterError(f"{Path(argv[0]).name} failed: {(result.stderr or result.stdout).strip()[-500:]}")

    def start(self) -> PrivatePostgres:
        self.sockets.mkdir(exist_ok=True)
        for path in (self.folder, self.sockets):
            os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                          "-E", "UTF8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.sockets}'\nmax_connections = 300\n")
        self._pg_ctl_start()
        return self

    def _pg_ctl_start(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                          "-w", "-t", "120", "start")
        wait_until(self.answers, timeout=60, interval=0.2, what="the private PostgreSQL to answer")

    def answers(self) -> bool:
        try:
            psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill(self) -> None:
        """``kill -9`` of the postmaster: its backends notice and exit, and the next start runs
        crash recovery. Waits until no process of the old server is left."""
        import psutil

        postmaster = psutil.Process(self.postmaster_pid())
        children = postmaster.children()
        postmaster.kill()
        self.kills += 1
        psutil.wait_procs([postmaster, *children], timeout=60)

    def restart(self) -> None:
        """Start again on the same data (crash recovery)."""
        self._pg_ctl_start()

    def stop(self) -> None:
        pid = self.postmaster_pid()
        if self.data.exists() and pid and _alive(pid):
            try:
                self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except (ClusterError, subprocess.TimeoutExpired):
                os.kill(pid, signal.SIGKILL)
        if (self.folder / "server.log").exists():
            self.log_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.folder / "server.log", self.log_dir / "postgres-server.log")
        shutil.rmtree(self.folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
