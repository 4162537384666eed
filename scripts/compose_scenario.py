"""The containers' end-to-end check, run by scripts/compose-test once every service is healthy.

Through the containers' HTTP ports only (and the image's own CLI for the operator steps):
an admin logs in at the auth container and creates a product at the shop container (the shop
accepts auth's token, fetched key and all, and refuses a tampered one); a user registers at auth
(its profile and wallet come from the account worker), gets money in the wallet by the operator
command, places an order, pays it and sees it ``completed``, charged exactly once.

    python3 scripts/compose_scenario.py --shop URL --auth URL --cli "docker-compose … exec -T auth"
"""
from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import time
import uuid

import requests

TIMEOUT = 60  # per request: CI machines run other suites at the same time


STARTED = time.monotonic()


def step(message: str) -> None:
    print(f"  {time.monotonic() - STARTED:5.1f}s {message}", flush=True)


def expect(response: requests.Response, status: int) -> dict:
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.url}: expected {status}, got "
                         f"{response.status_code}: {response.text[:500]}")
    return response.json() if response.content else {}


def cli(prefix: str, *args: str) -> str:
    """An ``emarket`` operator command in one of the stack's containers (the same image and
    databases)."""
    done = subprocess.run(shlex.split(prefix) + ["emarket", *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"emarket {' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.stdout.strip()


def login(auth: str, email: str, password: str) -> str:
    reply = expect(requests.post(f"{auth}/auth/login", json={"email": email, "password": password},
                                 timeout=TIMEOUT), 200)
    return reply["access_token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def wait_for_status(shop: str, token: str, order_id: str, wanted: str, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        order = expect(requests.get(f"{shop}/api/orders/{order_id}", headers=bearer(token), timeout=TIMEOUT), 200)
        if order["status"] in (wanted, "completed", "cancelled") or time.monotonic() > deadline:
            return order
        time.sleep(0.25)


def run(shop: str, auth: str, cli_prefix: str) -> None:
    run_id = uuid.uuid4().hex[:8]
    admin_email, admin_password = f"admin-{run_id}@ctest.example", "admin-password-ctest"
    email, password = f"shopper-{run_id}@ctest.example", "shopper-password-ctest"

    step(cli(cli_prefix, "users", "create-admin", admin_email, "--password", admin_password))
    admin = login(auth, admin_email, admin_password)
    product = expect(requests.post(f"{shop}/api/products", headers=bearer(admin), timeout=TIMEOUT,
                                   json={"name": f"Teapot {run_id}", "price": 1_250, "count": 5}), 201)
    step(f"auth's admin token accepted by the shop: product {product['id']} created")
    tampered = admin[:-4] + ("AAAA" if not admin.endswith("AAAA") else "BBBB")
    expect(requests.get(f"{shop}/api/orders", headers=bearer(tampered), timeout=TIMEOUT), 401)
    step("a tampered token is refused by the shop (401)")

    user = expect(requests.post(f"{auth}/auth/register", json={"email": email, "password": password},
                                timeout=TIMEOUT), 201)
    step(f"registered user {user['id']} at the auth container (profile and wallet by the account worker)")
    step(cli(cli_prefix, "wallet", "credit", email, "10000"))
    token = login(auth, email, password)
    wallet = expect(requests.get(f"{shop}/api/wallet", headers=bearer(token), timeout=TIMEOUT), 200)
    assert wallet["balance"] == 10_000, wallet
    step(f"the shop accepts the user's token: wallet {wallet['balance']} {wallet['currency']}")

    placed = requests.post(f"{shop}/api/orders?wait=20", headers=bearer(token), timeout=TIMEOUT,
                           json={"items": [{"product_id": product["id"], "quantity": 2}]})
    expect(placed, 200 if placed.status_code == 200 else 202)  # 202: phase 1 still running
    order = wait_for_status(shop, token, placed.json()["id"], "awaiting_payment", 120)
    assert order["status"] == "awaiting_payment", order
    assert order["total"] == 2_500, order
    step(f"order {order['id']} awaiting payment, total {order['total']}")
    paid = expect(requests.post(f"{shop}/api/orders/{order['id']}/payment", headers=bearer(token),
                                timeout=TIMEOUT), 202)
    assert paid["status"] == "payment_started", paid
    done = wait_for_status(shop, token, order["id"], "completed", 120)
    assert done["status"] == "completed", done
    step("completed; events: " + ", ".join(event["name"] for event in done["events"]))

    wallet = expect(requests.get(f"{shop}/api/wallet", headers=bearer(token), timeout=TIMEOUT), 200)
    assert (wallet["balance"], wallet["frozen"]) == (7_500, 0), wallet
    stock = expect(requests.get(f"{shop}/api/products/{product['id']}", headers=bearer(admin), timeout=TIMEOUT), 200)
    assert (stock["count"], stock["reserved"]) == (3, 0), stock
    step(f"charged once: wallet {wallet['balance']}, stock {stock['count']} left")

    # The workers' saga figures reach the shop's /metrics (through Redis, across containers).
    metrics = requests.get(f"{shop}/metrics", timeout=TIMEOUT)
    completed = sum(float(value) for value in re.findall(
        r"^emarket_sagas_completed_total(?:\{[^}]*\})? (\S+)$", metrics.text, flags=re.M))
    assert metrics.status_code == 200 and completed == 1, metrics.text[:2000]  # the run's own Redis db and prefix
    step(f"the shop's /metrics counts the workers' completed saga: emarket_sagas_completed_total {completed:g}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shop", required=True)
    parser.add_argument("--auth", required=True)
    parser.add_argument("--cli", required=True, help="command prefix that runs the image's CLI")
    args = parser.parse_args()
    run(args.shop.rstrip("/"), args.auth.rstrip("/"), args.cli)
    print("scenario: passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
