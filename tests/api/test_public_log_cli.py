"""`flask log publish` and `flask log verify`."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import update

from game.forest.services import decisions
from game.transparency.models import PublicLogEntry
from tests.conftest import NOW
from tests.factories.transparency import EVIDENCE, pending_order


def test_publish_then_verify_an_intact_log(app, session, uow):
    order, project = pending_order(session, uow, quantity=2)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    cli = app.test_cli_runner()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        first = cli.invoke(args=["log", "publish"])
        again = cli.invoke(args=["log", "publish"])
    assert first.exit_code == 0 and "2026-03-10: " in first.output
    assert first.output.endswith("1 root published\n")
    assert again.exit_code == 0 and again.output == "0 roots published\n"
    verified = cli.invoke(args=["log", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output


def test_verify_exits_non_zero_and_prints_each_problem(app, session, uow):
    order, project = pending_order(session, uow, quantity=3)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    session.execute(update(PublicLogEntry).where(PublicLogEntry.seq.in_([1, 3]))
                    .values(payload={"forged": True}))
    result = app.test_cli_runner().invoke(args=["log", "verify"])
    assert result.exit_code == 1
    assert "entry 1 (certificate_issued" in result.stderr
    assert "entry 3 (certificate_issued" in result.stderr
    assert "the public log has 2 problems" in result.stderr
