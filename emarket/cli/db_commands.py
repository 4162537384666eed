"""``emarket db …``: bring the three databases to the migrations' head (or back)."""
from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable

import click
from sqlalchemy.engine import make_url

from db import migrate
from db.schema import DATABASES
from emarket import embedded_pg, idempotency
from emarket.storage import database_url

_which = click.option(
    "--database", "-d", "databases", multiple=True, type=click.Choice(DATABASES),
    help="only this database (repeatable); default: all three",
)


@click.group(help="Database migrations (Alembic), for all three databases.")
def db() -> None:
    pass


@db.command(help="Bring every database to the newest migration (creates the schema).")
@_which
def upgrade(databases: tuple[str, ...]) -> None:
    _migrate_each(databases, migrate.upgrade, "at head")


@db.command(help="Undo every migration (drops the schema). Destroys data.")
@_which
@click.confirmation_option(prompt="Drop the schema and every row?")
def downgrade(databases: tuple[str, ...]) -> None:
    _migrate_each(databases, migrate.downgrade, "at base")


def _migrate_each(databases: tuple[str, ...], step: Callable[[str, str], None], done: str) -> None:
    """``step`` on each database named (all three if none), saying where each stands after."""
    for name in databases or DATABASES:
        step(name, database_url(name))
        click.echo(f"{name}: {done}")


@db.command(help="Exit 1 if a database differs from the models (a migration is missing).")
@_which
def check(databases: tuple[str, ...]) -> None:
    dirty = False
    for name in databases or DATABASES:
        diff = migrate.schema_diff(name, database_url(name))
        click.echo(f"{name}: {diff if diff else 'matches the models'}")
        dirty = dirty or bool(diff)
    raise SystemExit(1 if dirty else 0)


@db.command("forget-idempotency-keys",
            help="Delete the Idempotency-Keys older than 24 hours (beat does it hourly for the shop's databases).")
@_which
def forget_idempotency_keys(databases: tuple[str, ...]) -> None:
    for name in databases or DATABASES:
        click.echo(f"{name}: {idempotency.forget_older_than(name)} keys forgotten")


@db.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
            help="Open psql on database NAME (account, emarket or bank), the embedded one too; "
                 "arguments after NAME go to psql: emarket db shell emarket -c 'select 1'.")
@click.argument("name", type=click.Choice(DATABASES))
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
def shell(name: str, psql_args: tuple[str, ...]) -> None:
    # libpq reads the same URL without SQLAlchemy's driver name. The psql shipped with the
    # embedded server speaks to any server this project supports.
    conninfo = make_url(database_url(name)).set(drivername="postgresql").render_as_string(hide_password=False)
    # psql answers Ctrl-C itself (it cancels the running query); this process waits for it.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = subprocess.call([str(embedded_pg.psql_path()), conninfo, *psql_args])
    finally:
        signal.signal(signal.SIGINT, previous)
    raise SystemExit(code)
