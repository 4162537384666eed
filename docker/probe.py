#!/opt/emarket/bin/python
"""Container health checks, one command for every kind of service:

    emarket-probe shop|auth|bank|flower   HTTP readiness on the port its own setting names
    emarket-probe worker QUEUE            the worker QUEUE@<this host> answers a Celery ping
    emarket-probe broker|cache|database   the broker / Redis / the three databases answer

The ports come from the same EMARKET_* settings the servers read, so a probe and its server can
never disagree. Exit 0 when healthy, 1 otherwise with the reason on stderr. Standard library
and the project's own dependencies only: the image has no curl.
"""
import socket
import sys
import urllib.error
import urllib.request

from emarket.config import settings

HTTP = {"shop": "/health/ready", "auth": "/health/ready", "bank": "/health/ready", "flower": "/healthcheck"}
TIMEOUT = 5.0


def http(service: str) -> str | None:
    url = f"http://127.0.0.1:{getattr(settings(), service + '_port')}{HTTP[service]}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return None if response.status == 200 else f"{url}: {response.status}"
    except urllib.error.HTTPError as error:
        return f"{url}: {error.code} {error.read(500).decode(errors='replace')}"
    except OSError as error:
        return f"{url}: {error}"


def worker(queue: str) -> str | None:
    # Celery alone, not the tasks package: a probe every few seconds must stay cheap.
    from celery import Celery

    name = f"{queue}@{socket.gethostname()}"
    app = Celery(broker=settings().broker_url)
    try:
        # limit=1: back with the first reply, not after the whole timeout (a probe took 6.8 s).
        replies = app.control.ping(destination=[name], timeout=TIMEOUT, limit=1)
    finally:
        app.close()
    return None if replies else f"{name} did not answer a ping"


def broker() -> str | None:
    from kombu import Connection

    with Connection(settings().broker_url, connect_timeout=TIMEOUT) as connection:
        connection.ensure_connection(max_retries=1)
    return None


def cache() -> str | None:
    import redis

    for url in (settings().redis_url, settings().result_backend):
        redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT).ping()
    return None


def database() -> str | None:
    from sqlalchemy import create_engine, text

    for url in (settings().db_account, settings().db_emarket, settings().db_bank):
        engine = create_engine(url, connect_args={"connect_timeout": int(TIMEOUT)})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    return None


def main(argv: list[str]) -> int:
    if len(argv) == 1 and argv[0] in HTTP:
        check = lambda: http(argv[0])  # noqa: E731 — one name for the two probes, chosen here
    elif len(argv) == 2 and argv[0] == "worker":
        check = lambda: worker(argv[1])  # noqa: E731 — likewise
    elif len(argv) == 1 and argv[0] in ("broker", "cache", "database"):
        check = globals()[argv[0]]
    else:
        print(f"usage: emarket-probe {'|'.join(HTTP)} | worker QUEUE | broker | cache | database", file=sys.stderr)
        return 2
    try:
        problem = check()
    except Exception as error:  # noqa: BLE001 — any failure means "not healthy": say which
        problem = f"{' '.join(argv)}: {type(error).__name__}: {error}"
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
