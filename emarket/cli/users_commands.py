"""``emarket keys …``, ``emarket users …``, ``emarket wallet …``: the operator's commands for
the auth service's keys, the first admin, and crediting a wallet by hand."""
from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email

from emarket import accounts
from emarket.config import settings
from emarket.errors import DomainError
from emarket.keys import generate_keypair
from emarket.storage import unit_of_work


@click.group(help="The auth service's RS256 signing keys.")
def keys() -> None:
    pass


@keys.command(help="Write a new key pair to EMARKET_JWT_PRIVATE_KEY / EMARKET_JWT_PUBLIC_KEY "
                   "(kept if both exist, unless --force; replacing them logs everyone out).")
@click.option("--force", is_flag=True, help="replace an existing pair")
def generate(force: bool) -> None:
    s = settings()
    written = generate_keypair(s.jwt_private_key, s.jwt_public_key, overwrite=force)
    verb = "wrote" if written else "kept the existing"
    click.echo(f"{verb} key pair: {s.jwt_private_key} (private), {s.jwt_public_key} (public)")


@click.group(help="Users and their roles.")
def users() -> None:
    pass


def _password_policy(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not accounts.PASSWORD_MIN <= len(value) <= accounts.PASSWORD_MAX:
        raise click.BadParameter(f"{accounts.PASSWORD_MIN}..{accounts.PASSWORD_MAX} characters")
    return value


@users.command("create-admin", help="Create an admin (with profile and e-wallet), or promote the "
                                    "existing user of EMAIL, whose password is then kept. Idempotent.")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              callback=_password_policy, help="the new admin's password (8..128 characters)")
def create_admin(email: str, password: str) -> None:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from None
    with unit_of_work("account") as uow:
        user_id, created = accounts.create_admin(uow, email, password)
    what = "created" if created else "is an admin (password unchanged)"
    click.echo(f"admin {accounts.normalise_email(email)} (id {user_id}) {what}")


@click.group(help="E-wallets.")
def wallet() -> None:
    pass


@wallet.command(help="Credit the wallet of EMAIL with AMOUNT minor units (an `adjustment` ledger entry).")
@click.argument("email")
@click.argument("amount", type=click.IntRange(min=1))
def credit(email: str, amount: int) -> None:
    try:
        with unit_of_work("account") as uow:
            balance = accounts.credit_adjustment(uow, email, amount)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"credited {amount} to {accounts.normalise_email(email)}: balance {balance} {settings().currency}")
