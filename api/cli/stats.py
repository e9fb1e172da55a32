"""`flask stats check` and `flask stats recount`: the public counters against the tables."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from api.core.context import uow
from game.stats.services import public_stats, recount, scanned_stats


@click.group("stats")
def stats_group() -> None:
    """The counters behind GET /v1/public/stats."""


def _line(figures: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in figures.items())


@stats_group.command("check")
@with_appcontext
def check() -> None:
    """Compare the counters with full scans of the tables (slow); exits 1 when they differ."""
    counted, scanned = public_stats(uow()), scanned_stats(uow())
    if counted != scanned:
        click.echo(f"counters: {_line(counted)}", err=True)
        click.echo(f"scanned:  {_line(scanned)}", err=True)
        raise click.ClickException("the public counters differ from the tables; "
                                   "`flask stats recount` rebuilds them")
    click.echo(f"the public counters match the tables: {_line(counted)}")


@stats_group.command("recount")
@with_appcontext
def recount_command() -> None:
    """Rebuild the counters from full scans (after rows were edited or deleted by hand)."""
    click.echo(f"counters rebuilt: {_line(recount(uow()))}")


def register(app: Flask) -> None:
    app.cli.add_command(stats_group)
