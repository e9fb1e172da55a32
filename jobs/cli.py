"""`flask scheduler`: a plain click command, found by Flask through the `flask.commands` entry
point group (pyproject.toml), so that the jobs never import Flask."""

from __future__ import annotations

import click


@click.command("scheduler")
@click.option("--once", is_flag=True,
              help="Settle what is due and expire balls once, then exit (for cron or a check).")
def scheduler(once: bool) -> None:
    """Run the scheduler alone."""
    from config import config_or_exit
    from db import applog
    from jobs.scheduler import run

    config = config_or_exit()
    applog.configure(config.LOG_LEVEL, config.LOG_FORMAT)
    run(config, once=once)
