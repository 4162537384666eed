"""Demo data for the embedded run: an admin, a shopper with money in the wallet and at the
bank, and a small catalogue. Idempotent: running it again adds nothing."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from db.account import Credential
from db.bank import BankAccount
from db.emarket import ProductDesc
from emarket import accounts, catalog
from emarket.bank import accounts as bank_accounts
from emarket.storage import unit_of_work

ADMIN = ("admin@emarket.local", "admin-password")
SHOPPER = ("demo@emarket.local", "demo-password")
SHOPPER_WALLET = 50_000
BANK_PIN, BANK_BALANCE = "1234", 1_000_000
PRODUCTS = [
    ("Sencha green tea, 100 g", "Steamed Japanese green tea with a fresh, grassy cup.", 1_250, 40),
    ("Cast-iron teapot", "0.8 l, enamelled inside, keeps tea hot for a long time.", 4_990, 8),
    ("Porcelain cup", "Thin white porcelain, 150 ml.", 690, 60),
    ("Bamboo tea tray", "Slatted top, drip tray below.", 3_200, 5),
    ("Matcha whisk", "Hand-cut bamboo chasen, 100 tines.", 1_890, 12),
]


@dataclass
class Demo:
    admin: tuple[str, str]
    shopper: tuple[str, str]
    bank_account: str | None


def load() -> Demo:
    with unit_of_work("account") as uow:
        accounts.create_admin(uow, *ADMIN)
        is_new = uow.session.scalar(select(Credential.id).where(Credential.email == SHOPPER[0])) is None
        if is_new:
            user_id = accounts.register_credentials(uow, *SHOPPER)
            accounts.create_profile(uow, user_id, SHOPPER[0], "Demo Shopper")
            accounts.credit_adjustment(uow, SHOPPER[0], SHOPPER_WALLET)
    with unit_of_work("emarket") as uow:
        if uow.session.scalar(select(ProductDesc.id).limit(1)) is None:
            for name, description, price, count in PRODUCTS:
                catalog.create_product(uow, name=name, description=description, price=price, count=count)
    with unit_of_work("bank") as uow:
        bank_accounts.ensure_merchant_account(uow)
        existing = uow.session.scalar(select(BankAccount.number).where(BankAccount.owner == "Demo Shopper"))
        number = existing or bank_accounts.create_account(uow, "Demo Shopper", BANK_PIN, BANK_BALANCE).number
    return Demo(ADMIN, SHOPPER, number)
