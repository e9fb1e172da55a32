"""`flask shield USER_ID [--hours 24]`: grant a shield from the command line."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from api.core.context import uow
from db import utcnow_aware
from game.forest.domain import SHIELD_HOURS_DEFAULT


@click.command("shield")
@click.argument("user_id")
@click.option("--hours", default=SHIELD_HOURS_DEFAULT, show_default=True, type=int)
@with_appcontext
def shield(user_id: str, hours: int) -> None:
    """Protect USER_ID's balls from thieves for HOURS more."""
    from carbon.errors import CanopyError
    from game.forest.services.shields import grant_shield

    try:
        result = grant_shield(uow(), user_id, hours, utcnow_aware())
    except CanopyError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"{user_id} is shielded until {result['shield_until'].isoformat()}")


def register(app: Flask) -> None:
    app.cli.add_command(shield)
