"""The cabinet at scale: 1,000,000 orders over 10,000 users (COPY), then the cabinet list
(``GET /api/orders``, first page and a deep page via the cursor) and the order detail
(``GET /api/orders/<id>``) through the real HTTP server (gunicorn, started here) for the user
with the most orders: p50/p99 over ``--requests`` sequential requests each, and the query
plans (EXPLAIN ANALYZE) of exactly the SQL those endpoints run.

Users' order counts follow a Zipf-like law (exponent 0.7), so the top user has about 2 % of
all orders (≈ 20,000 at 1 M): the deep page sits ~90 % down that user's list. Each order has
one item and two saga events. The seeded database is kept between runs (``--reseed``).

    python bench/cabinet.py                                   # 1 M orders, 1,000 requests each
    python bench/cabinet.py --orders 2000 --users 20 --requests 20
"""
from __future__ import annotations

import argparse
import io
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

NAME = "cabinet"
CHUNK = 100_000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders to seed (default 1,000,000)")
    parser.add_argument("--users", type=int, default=10_000, help="users they belong to (default 10,000)")
    parser.add_argument("--requests", type=int, default=1000, help="requests per endpoint (default 1,000)")
    parser.add_argument("--page", type=int, default=20, help="page size (the API's default, 20)")
    parser.add_argument("--http-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the database has the orders")
    common.add_service_args(parser, "emarket_benchcab", 12)
    return parser.parse_args(argv)


# --- seeding -------------------------------------------------------------------------------

def _owners(orders: int, users: int, rng: random.Random) -> list[int]:
    cumulative, total = [], 0.0
    for rank in range(1, users + 1):
        total += rank ** -0.7
        cumulative.append(total)
    return rng.choices(range(1, users + 1), cum_weights=cumulative, k=orders)


def _copy(cursor, table: str, columns: str, rows) -> None:
    buffer = io.StringIO()

    def flush():
        buffer.seek(0)
        cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', buffer)
        buffer.seek(0)
        buffer.truncate()

    for count, row in enumerate(rows, 1):
        buffer.write("\t".join(row))
        buffer.write("\n")
        if count % CHUNK == 0:
            flush()
    flush()


def seed(dsn: str, orders: int, users: int) -> float:
    import psycopg2

    started = time.monotonic()
    rng = random.Random(7)
    owners = _owners(orders, users, rng)
    now = datetime.now(UTC)
    begin, step = now - timedelta(days=365), timedelta(days=365) / max(orders, 1)
    plan = []  # (id, user, created_at, status, total)
    for i, user in enumerate(owners):
        created = begin + step * i + timedelta(microseconds=rng.randrange(1000))
        status = "completed" if rng.random() < 0.9 else "cancelled"
        plan.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), user, created, status, rng.randrange(100, 50_000)))
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute('TRUNCATE "saga_event", "order_item", "order" CASCADE')
            _copy(cursor, "order", "id, user_id, status, reason, total, correlation_id, created_at, updated_at",
                  ((oid, str(user), status, "payment_timeout" if status == "cancelled" else r"\N", str(total),
                    oid[:8], created.isoformat(), (created + timedelta(seconds=5)).isoformat())
                   for oid, user, created, status, total in plan))
            _copy(cursor, "order_item", "order_id, product_id, quantity, price",
                  ((oid, str(1 + hash(oid) % 1000), "1", str(total)) for oid, _, _, _, total in plan))
            _copy(cursor, "saga_event", "order_id, name, detail, at",
                  (row for oid, _, created, status, _ in plan for row in (
                      (oid, "accepted", "", created.isoformat()),
                      (oid, status, "payment_timeout" if status == "cancelled" else "",
                       (created + timedelta(seconds=5)).isoformat()))))
        conn.autocommit = True
        with conn.cursor() as cursor:
            for table in ("order", "order_item", "saga_event"):
                cursor.execute(f'VACUUM ANALYZE "{table}"')
    finally:
        conn.close()
    return time.monotonic() - started


def seeded_orders(dsn: str) -> int:
    import psycopg2

    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "order"')
        return cursor.fetchone()[0]


# --- the HTTP side -------------------------------------------------------------------------

def mint(private_pem: str, user_id: int) -> str:
    import jwt

    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "roles": [], "jti": str(uuid.uuid4()), "type": "access", "iat": now, "nbf": now,
              "exp": now + timedelta(hours=2), "iss": "emarket-auth"}
    return jwt.encode(claims, private_pem, algorithm="RS256")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    import requests

    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                               "web.shop:create_app()"],
                              cwd=str(common.ROOT), stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {log}")
        try:
            requests.get(f"http://127.0.0.1:{port}/api/orders", timeout=5)
            return server
        except requests.RequestException:  # not listening yet, or still importing the app
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer; see {log}")


def timed(session, url: str, headers: dict, count: int, urls=None) -> list[float]:
    times = []
    for i in range(count):
        target = urls[i % len(urls)] if urls else url
        started = time.perf_counter()
        response = session.get(target, headers=headers, timeout=10)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{target}: {response.status_code} {response.text[:200]}")
    return times


# --- the plans -----------------------------------------------------------------------------

def plans(user_id: int, cursor: str, order_id: str, page: int) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE of the very statements the endpoints' query functions send."""
    from sqlalchemy import event

    from emarket import queries
    from emarket.storage import unit_of_work

    captured: list[tuple[str, object]] = []
    calls = {"list, first page": lambda uow: queries.list_orders(uow, user_id, limit=page),
             "list, deep page": lambda uow: queries.list_orders(uow, user_id, limit=page, cursor=cursor),
             "detail": lambda uow: queries.order_view(uow, order_id, user_id)}
    result = {}
    for name, call in calls.items():
        captured.clear()
        with unit_of_work("emarket") as uow:
            engine = uow.session.get_bind()
            listener = lambda conn, cur, statement, params, ctx, many: captured.append((statement, params))  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                call(uow)
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            lines = []
            for statement, params in list(captured):
                raw = uow.session.connection().connection.dbapi_connection.cursor()
                raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                lines += [" ".join(statement.split())[:160]] + ["    " + r[0] for r in raw.fetchall()] + [""]
            result[name] = lines
    return result


def main(argv=None) -> dict:
    args = parse_args(argv)
    urls = common.configure(args, databases=("account", "emarket"))
    dsn = urls["emarket"].replace("+psycopg2", "")
    seconds = None
    if args.reseed or seeded_orders(dsn) != args.orders:
        print(f"seeding {args.orders:,} orders over {args.users:,} users ...", flush=True)
        seconds = seed(dsn, args.orders, args.users)
        print(f"seeded in {seconds:.0f} s", flush=True)
    import psycopg2

    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute('SELECT user_id, count(*) FROM "order" GROUP BY user_id ORDER BY 2 DESC LIMIT 1')
        top, count = cur.fetchone()
        cur.execute('SELECT created_at, id FROM "order" WHERE user_id = %s ORDER BY created_at DESC, id DESC '
                    'OFFSET %s LIMIT 1', (top, int(count * 0.9)))
        deep_at, deep_id = cur.fetchone()
        cur.execute('SELECT id FROM "order" WHERE user_id = %s ORDER BY random() LIMIT %s', (top, args.requests))
        detail_ids = [r[0] for r in cur.fetchall()]
    from emarket import pagination
    from emarket.keys import generate_keypair

    keys = Path(args.results) / "keys"
    generate_keypair(keys / "private.pem", keys / "public.pem")
    import os

    os.environ["EMARKET_JWT_PUBLIC_KEY"] = str(keys / "public.pem")
    os.environ["EMARKET_JWT_PRIVATE_KEY"] = str(keys / "private.pem")
    deep_cursor = pagination.encode((deep_at, deep_id))

    import requests

    port = free_port()
    log_dir = Path(args.results) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    server = start_server(port, args.http_workers, log_dir / "cabinet-gunicorn.log")
    try:
        base = f"http://127.0.0.1:{port}/api/orders"
        headers = {"Authorization": f"Bearer {mint((keys / 'private.pem').read_text(), top)}"}
        with requests.Session() as session:
            timed(session, base, headers, min(50, args.requests))  # warm the workers and caches
            first = timed(session, f"{base}?limit={args.page}", headers, args.requests)
            deep = timed(session, f"{base}?limit={args.page}&cursor={deep_cursor}", headers, args.requests)
            detail = timed(session, "", headers, args.requests, urls=[f"{base}/{i}" for i in detail_ids])
    finally:
        server.terminate()
        server.wait(timeout=30)
    explained = plans(top, deep_cursor, detail_ids[0], args.page)
    return report(args, top, count, seconds, {"list, first page": first, "list, deep page": deep,
                                              "detail": detail}, explained)


def report(args, top, count, seeded_s, timings, explained) -> dict:
    latencies = {name: common.latency_ms(values) for name, values in timings.items()}
    payload = {"orders": args.orders, "users": args.users, "requests": args.requests, "top_user": top,
               "top_user_orders": count, "deep_page_offset": int(count * 0.9), "seed_seconds": seeded_s,
               "latency_ms": latencies, "target_p99_ms": 20,
               "meets_target": all(v["p99"] <= 20 for v in latencies.values()), "plans": explained}
    print(f"\n{args.orders:,} orders over {args.users:,} users; the top user has {count:,}; "
          f"{args.requests} requests each through gunicorn ({args.http_workers} workers); load {common.load_average()}")
    print(common.table([[name, v["p50"], v["p95"], v["p99"]] for name, v in latencies.items()],
                       ["GET, ms", "p50", "p95", "p99 (target <= 20)"]))
    for name, lines in explained.items():
        print(f"\nplan: {name}")
        print("\n".join("  " + line for line in lines))
    print(f"written to {common.write_results(args.results, NAME, payload)}")
    return payload


if __name__ == "__main__":
    main()
