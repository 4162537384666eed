"""``emarket bank …``: operate the bank (Mbank) — open accounts, expire overdue holds."""
from __future__ import annotations

import click

from emarket.bank import accounts, holds
from emarket.storage import unit_of_work


@click.group(help="The bank (Mbank): accounts and holds.")
def bank() -> None:
    pass


@bank.command("create-account", help="Open a bank account; prints its number.")
@click.option("--owner", required=True, help="the holder's name (1..100 characters)")
@click.option("--pin", required=True, help="the holder's PIN, 4..8 digits")
@click.option("--balance", type=click.IntRange(0, 1_000_000_000), default=0, show_default=True,
              help="opening balance in minor units")
def create_account(owner: str, pin: str, balance: int) -> None:
    if not 1 <= len(owner) <= 100:
        raise click.BadParameter("1..100 characters", param_hint="--owner")
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise click.BadParameter("4..8 digits", param_hint="--pin")
    with unit_of_work("bank") as uow:
        accounts.ensure_merchant_account(uow)
        number = accounts.create_account(uow, owner, pin, balance).number
    click.echo(number)


@bank.command("expire-holds", help="Expire every unconfirmed hold past its deadline (returns its amount).")
def expire_holds() -> None:
    with unit_of_work("bank") as uow:
        count = holds.expire_overdue_holds(uow)
    click.echo(f"expired {count} hold(s)")
