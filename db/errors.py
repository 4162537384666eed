"""Which database errors are transient (worth a retry) rather than a bug or a broken rule, and
which of those are an outage (the server out of reach) rather than a conflict between
transactions."""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# PostgreSQL SQLSTATEs. Conflicts: serialization_failure, deadlock_detected, lock_not_available.
_CONFLICT_SQLSTATES = {"40001", "40P01", "55P03"}
# The server going or coming back: admin_shutdown, crash_shutdown, cannot_connect_now, and the
# connection-exception class.
_SERVER_GONE_SQLSTATES = {"57P01", "57P02", "57P03"}
_CONNECTION_CLASSES = ("08",)


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or went away (a crash, a restart, a failover): nothing
    about the work itself is wrong, and it will succeed once the server is back."""
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "pgcode", None)
        if code:
            return code in _SERVER_GONE_SQLSTATES or code.startswith(_CONNECTION_CLASSES)
        # psycopg2 without a SQLSTATE: the server refused the connection or went away mid-statement.
        return isinstance(exc, OperationalError)
    return False


def is_transient(exc: BaseException) -> bool:
    """An outage, a pool out of connections, or a conflict a retry resolves."""
    if is_unavailable(exc) or isinstance(exc, PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "pgcode", None) in _CONFLICT_SQLSTATES
