"""`flask settle`, `flask expire`, `flask reconcile`: the nightly jobs by hand, for operators."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from api.core.context import config, uow
from carbon.errors import CanopyError
from carbon.services.balls import expire_balls
from carbon.services.reconcile import reconcile
from db import utcnow_aware
from game.daily import settle_day_and_follow_up


@click.command("settle")
@with_appcontext
@click.option("--date", "local_date", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="local date to settle, YYYY-MM-DD")
@click.option("--zone", "zones", multiple=True, help="only this IANA zone (repeatable)")
def settle(local_date, zones) -> None:
    """Settle a local date in every zone whose day is over (rerunning creates nothing twice)."""
    try:
        report = settle_day_and_follow_up(uow, local_date.date(), utcnow_aware(),
                                          list(zones) or None, config().SETTLE_BATCH_USERS,
                                          config().SETTLE_WORKERS)
    except CanopyError as exc:
        raise click.ClickException(exc.detail) from exc
    for z in report.zones:
        click.echo(f"{z.timezone}: {z.status} batches={z.batches} balls={z.balls} "
                   f"energy_g={z.energy_g}")
    click.echo(f"total: balls={report.balls} energy_g={report.energy_g} "
               f"skipped={len(report.skipped)}")


@click.command("expire")
@with_appcontext
def expire() -> None:
    """Expire every open ball whose time is up; the ledger moves its energy to 'expired'."""
    balls, energy_g = expire_balls(uow(), utcnow_aware())
    click.echo(f"expired balls={balls} energy_g={energy_g}")


@click.command("reconcile")
@with_appcontext
def reconcile_command() -> None:
    """Check the ledger and the balls; print OK, or each problem and exit 1."""
    problems = reconcile(uow())
    if not problems:
        click.echo("OK")
        return
    for p in problems:
        click.echo(p)
    raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(settle)
    app.cli.add_command(expire)
    app.cli.add_command(reconcile_command, "reconcile")
