"""`flask` commands for operators: migrate, seed, tokens, partner keys (others register here)."""

from __future__ import annotations

import importlib

import click
from flask import Flask

from api.core.auth import make_token
from api.core.context import config, uow
from db import utcnow_aware
from db.migrate import upgrade

# Modules under api/ that define `register(cli_group_app: Flask)`; packages add their own line.
CLI_MODULES: list[str] = [
    "api.cli.ops",
    "api.cli.forest",
    "api.cli.log",
    "api.cli.stats",
    "api.cli.settings",
]

# Seeders: functions (uow, now) -> int, run by `flask seed` in order.
SEEDERS = ["carbon.services.catalog:seed_default_methodology",
           "game.forest.services.projects:seed_default_projects",
           "game.farm.services.quiz_bank:seed_quiz_questions"]


def init_cli(app: Flask) -> None:
    app.cli.add_command(db_upgrade)
    app.cli.add_command(seed)
    app.cli.add_command(token)
    app.cli.add_command(partner)
    for name in CLI_MODULES:
        importlib.import_module(name).register(app)


@click.command("db-upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations to DATABASE_URL."""
    upgrade(config().DATABASE_URL)
    click.echo("database is at the latest revision")


@click.command("seed")
def seed() -> None:
    """Seed the default catalog (methodology, projects, ...); existing rows are kept."""
    for path in SEEDERS:
        module, func = path.split(":")
        added = getattr(importlib.import_module(module), func)(uow(), utcnow_aware())
        click.echo(f"{path}: {added} added")


@click.command("token")
@click.argument("user_id")
@click.option("--tz", default=None, help="IANA time zone claim")
@click.option("--hours", default=24 * 30, show_default=True)
def token(user_id: str, tz: str | None, hours: int) -> None:
    """Print a development JWT for USER_ID."""
    cfg = config()
    problem = _token_problem(user_id, tz, hours, cfg.JWT_MAX_LIFETIME_DAYS)
    if problem:
        raise click.ClickException(problem)
    click.echo(make_token(cfg.JWT_SECRET, user_id, tz, hours, cfg.JWT_ISSUER, cfg.JWT_AUDIENCE))


def _token_problem(user_id: str, tz: str | None, hours: int, max_days: int) -> str | None:
    """Why the API would refuse the token asked for, so the command refuses to print it."""
    from carbon.domain.account import is_valid_zone
    from carbon.services.users import check_external_id

    if not 1 <= hours <= max_days * 24:
        return f"--hours must be 1 to {max_days * 24} (CANOPY_JWT_MAX_LIFETIME_DAYS={max_days})."
    if tz is not None and not is_valid_zone(tz):
        return f"--tz '{tz}' is not an IANA time zone."
    reason = check_external_id(user_id)
    return f"USER_ID: {reason}." if reason else None


@click.group("partner")
def partner() -> None:
    """Partner keys."""


@partner.command("create")
@click.argument("name")
@click.option("--scopes", required=True, help="comma separated: events:write,plantings,donations,admin")
def partner_create(name: str, scopes: str) -> None:
    """Create a partner key; prints the key id and secret once."""
    from carbon.errors import CanopyError
    from carbon.services.partners import create_partner

    try:
        ref = create_partner(uow(), name, [s.strip() for s in scopes.split(",") if s.strip()],
                             utcnow_aware())
    except CanopyError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"key_id: {ref.key_id}\nsecret: {ref.secret}\nscopes: {','.join(sorted(ref.scopes))}")
