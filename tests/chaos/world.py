"""The run's shop before it opens: products (plenty of most, a few scarce), users with
e-wallets (well-off ones, and poor ones who will be short of funds), and bank accounts with a
PIN for the users who top up. Written straight into the databases and the bank's API."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import requests

from tests.chaos.config import BANK_ADMIN_KEY, PIN
from tests.support import seed


@dataclass
class World:
    plenty: list[int] = field(default_factory=list)
    scarce: list[int] = field(default_factory=list)
    initial_stock: dict[int, int] = field(default_factory=dict)
    rich: list[int] = field(default_factory=list)
    poor: list[int] = field(default_factory=list)
    bank_account: dict[int, str] = field(default_factory=dict)  # user id → account number
    bank_balance: int = 200_000

    @property
    def users(self) -> list[int]:
        return self.rich + self.poor


def build(cfg, bank_url: str, rng: random.Random) -> World:
    world = World()
    for n in range(8):
        count = max(50, cfg.orders)
        world.plenty.append(seed.product(count=count, price=rng.randrange(100, 900), name=f"Plenty {n}"))
        world.initial_stock[world.plenty[-1]] = count
    for n in range(2):
        count = max(6, cfg.orders // 50)
        world.scarce.append(seed.product(count=count, price=rng.randrange(100, 900), name=f"Scarce {n}"))
        world.initial_stock[world.scarce[-1]] = count
    n_poor = max(4, cfg.users // 5)
    # Credited through the ledger, as a real wallet is: the auditor of the books checks it.
    world.rich = [seed.user(balance=50_000, ledger=True) for _ in range(cfg.users - n_poor)]
    world.poor = [seed.user(balance=rng.randrange(0, 100), ledger=True) for _ in range(n_poor)]
    with requests.Session() as http:
        for user_id in world.rich:
            reply = http.post(f"{bank_url}/bank/accounts", headers={"X-Api-Key": BANK_ADMIN_KEY}, timeout=10,
                              json={"owner": f"user {user_id}", "pin": PIN, "balance": world.bank_balance})
            reply.raise_for_status()
            world.bank_account[user_id] = reply.json()["number"]
    return world
