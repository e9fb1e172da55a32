"""`flask partitions status` and `flask partitions maintain`: the daily maintenance by hand."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from api.core.context import config, uow
from carbon.services import retention
from db import utcnow_aware


@click.group("partitions")
def partitions_group() -> None:
    """Partitions of the tables that grow with time, and their retention."""


@partitions_group.command("status")
@with_appcontext
def status() -> None:
    """One line per table: its periods, and rows caught by its default partition."""
    for row in retention.status(uow()):
        click.echo(" ".join(f"{k}={v}" for k, v in row.items()))


@partitions_group.command("maintain")
@with_appcontext
def maintain() -> None:
    """Checkpoint finished ledger months, create partitions ahead, retire old ones."""
    report = retention.maintain(uow, utcnow_aware(), config().retention())
    for t in report.partitions.tables:
        click.echo(f"{t.table}: created={len(t.created)} dropped={len(t.dropped)} "
                   f"rows_moved={t.rows_moved} rows_deleted={t.rows_deleted}"
                   + (f" skipped={t.skipped}" if t.skipped else ""))
    figures = report.figures()
    click.echo(" ".join(f"{k}={v}" for k, v in figures.items())
               + f" duration_ms={report.partitions.duration_ms}")


def register(app: Flask) -> None:
    app.cli.add_command(partitions_group)
