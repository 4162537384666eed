"""``emarket db …``: bring the three databases to the migrations' head (or back)."""
from __future__ import annotations

import click

from db import migrate
from db.schema import DATABASES
from emarket import idempotency
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
    for name in databases or DATABASES:
        migrate.upgrade(name, database_url(name))
        click.echo(f"{name}: at head")


@db.command(help="Undo every migration (drops the schema). Destroys data.")
@_which
@click.confirmation_option(prompt="Drop the schema and every row?")
def downgrade(databases: tuple[str, ...]) -> None:
    for name in databases or DATABASES:
        migrate.downgrade(name, database_url(name))
        click.echo(f"{name}: at base")


@db.command(help="Exit 1 if a database differs from the models (a migration is missing).")
@_which
def check(databases: tuple[str, ...]) -> None:
    dirty = False
    for name in databases or DATABASES:
        diff = migrate.schema_diff(name, database_url(name))
        click.echo(f"{name}: {'matches the models' if not diff else diff}")
        dirty = dirty or bool(diff)
    raise SystemExit(1 if dirty else 0)


@db.command("forget-idempotency-keys",
            help="Delete the Idempotency-Keys older than 24 hours (beat does it hourly for the shop's databases).")
@_which
def forget_idempotency_keys(databases: tuple[str, ...]) -> None:
    for name in databases or DATABASES:
        click.echo(f"{name}: {idempotency.forget_older_than(name)} keys forgotten")
