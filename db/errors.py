"""Which database errors are transient (worth a retry) rather than a bug or a broken rule."""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, TimeoutError as PoolTimeout

# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available,
# and the connection-exception / operator-intervention classes.
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03"}
_TRANSIENT_CLASSES = ("08",)
# admin_shutdown, crash_shutdown, cannot_connect_now: the server is going or coming back.
_SERVER_GONE_SQLSTATES = {"57P01", "57P02", "57P03"}


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (DisconnectionError, PoolTimeout)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "pgcode", None)
        if code:
            return code in _TRANSIENT_SQLSTATES or code.startswith(_TRANSIENT_CLASSES)
        if isinstance(exc, OperationalError):
            # psycopg2 without a SQLSTATE: the server went away mid-statement.
            return True
    return False


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or went away (a crash, a restart, a failover): nothing
    about the work itself is wrong, and it will succeed once the server is back. Deadlocks and
    serialization failures are transient too, but not this."""
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "pgcode", None)
        if code:
            return code.startswith(_TRANSIENT_CLASSES) or code in _SERVER_GONE_SQLSTATES
        return isinstance(exc, OperationalError)
    return False
