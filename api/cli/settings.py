"""`flask config`: the effective settings, secrets masked, and what production would refuse."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from api.core.context import config
from config import unknown_variables


def register(app: Flask) -> None:
    app.cli.add_command(show_config)


@click.command("config")
@with_appcontext
def show_config() -> None:
    """Print the effective settings (JWT secret and URL passwords masked)."""
    settings = config()
    for name, value in settings.masked().items():
        click.echo(f"{name} = {value}")
    for name in unknown_variables():
        click.echo(f"warning: {name} is not a Canopy setting; production would refuse to start.",
                   err=True)
