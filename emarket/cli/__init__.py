"""The ``emarket`` console command. Each group lives in its own module and is added here."""
from __future__ import annotations

import click

from emarket import storage
from emarket.cli import (
    bank_commands,
    broker_commands,
    db_commands,
    saga_commands,
    up_command,
    users_commands,
)


@click.group(help="emarket: run the shop, migrate its databases, operate its sagas.")
def main() -> None:
    # A command run on the embedded default starts the embedded PostgreSQL when it first opens
    # a database (``emarket db upgrade`` before ``emarket up`` too), and stops it at exit if no
    # other process uses it.
    storage.start_embedded_on_demand()


main.add_command(db_commands.db)
main.add_command(broker_commands.broker_group, name="broker")
main.add_command(bank_commands.bank)
main.add_command(users_commands.keys)
main.add_command(users_commands.users)
main.add_command(users_commands.wallet)
main.add_command(saga_commands.saga)
main.add_command(up_command.up)
