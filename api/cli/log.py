"""`flask log publish`, `flask log verify` and `flask log backfill`: the public log's daily
roots, its audit, and the records it did not hold yet."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from api.core.context import uow
from db import utcnow_aware
from game.transparency.entries import log_unlogged_duty_certificates
from game.transparency.services import publish_roots, verify_chain


@click.group("log")
def log_group() -> None:
    """The tamper-evident public log."""


@log_group.command("publish")
@with_appcontext
def publish() -> None:
    """Publish the root of every UTC day that is over and not published yet."""
    roots = publish_roots(uow(), utcnow_aware())
    for r in roots:
        click.echo(f"{r.log_date}: {r.root} ({r.count} entries, {r.first_seq}..{r.last_seq})")
    click.echo(f"{len(roots)} root{'s' if len(roots) != 1 else ''} published")


@log_group.command("verify")
@with_appcontext
def verify() -> None:
    """Recompute every hash, link and published root; exits 1 and lists what is wrong."""
    problems = verify_chain(uow())
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"the public log has {len(problems)} "
                                   f"problem{'s' if len(problems) != 1 else ''}")
    click.echo("the public log is intact: every hash, link and published root checks out")


@log_group.command("backfill")
@with_appcontext
def backfill() -> None:
    """Log the duty certificates exchanged before duty certificates were logged (once)."""
    count = log_unlogged_duty_certificates(uow(), utcnow_aware())
    click.echo(f"{count} duty certificate{'s' if count != 1 else ''} logged")


def register(app: Flask) -> None:
    app.cli.add_command(log_group)
