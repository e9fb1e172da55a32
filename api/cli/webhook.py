"""`flask partner webhook add|list|remove`: partners' webhook endpoints from the command line."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from api.core.context import uow
from carbon.domain.webhooks import EVENT_TYPES
from carbon.errors import CanopyError
from carbon.services import webhooks
from db import utcnow_aware


@click.group("webhook")
def webhook() -> None:
    """Partner webhook endpoints."""


@webhook.command("add")
@click.argument("partner_name")
@click.argument("url")
@click.option("--events", required=True, help=f"comma separated: {','.join(EVENT_TYPES)}")
@with_appcontext
def add(partner_name: str, url: str, events: str) -> None:
    """Send PARTNER_NAME's events of the given types to URL (from now on)."""
    try:
        e = webhooks.add_endpoint(uow(), partner_name, url, events, utcnow_aware())
    except CanopyError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"webhook {e.id}: {e.partner_name} {e.url} {','.join(e.event_types)}")


@webhook.command("list")
@click.option("--partner", "partner_name", default=None, help="only this partner's")
@with_appcontext
def list_(partner_name: str | None) -> None:
    """The registered endpoints, one a line: id, partner, url, event types, failures."""
    after = None
    while True:
        page = webhooks.list_endpoints(uow(), partner_name, after, 200)
        for e in page.items:
            blocked = f" blocked until {e.blocked_until.isoformat()}" if e.blocked_until else ""
            click.echo(f"{e.id}\t{e.partner_name}\t{e.url}\t{','.join(e.event_types)}\t"
                       f"failures={e.failures}{blocked}")
        if page.next_key is None:
            return
        after = page.next_key


@webhook.command("remove")
@click.argument("endpoint_id", type=int)
@with_appcontext
def remove(endpoint_id: int) -> None:
    """Stop sending to endpoint ENDPOINT_ID; its pending deliveries are cancelled."""
    try:
        cancelled = webhooks.remove_endpoint(uow(), endpoint_id)
    except CanopyError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"webhook {endpoint_id} removed; {cancelled} pending deliveries cancelled")


def register(app: Flask) -> None:
    partner = app.cli.commands["partner"]
    assert isinstance(partner, click.Group)  # api.cli's `flask partner` group
    partner.add_command(webhook)
