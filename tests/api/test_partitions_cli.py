"""`flask partitions status` and `flask partitions maintain`."""

from __future__ import annotations

import time_machine

from carbon.services import outbox
from tests.conftest import NOW
from tests.factories import UserFactory


def outbox_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("table=outbox_events"))


def test_maintain_moves_what_the_default_caught_and_status_shows_it(app, session, is_postgres):
    outbox.record(session, "test", NOW, user_id=UserFactory().id)
    session.flush()
    cli = app.test_cli_runner()
    before = cli.invoke(args=["partitions", "status"])
    assert before.exit_code == 0
    with time_machine.travel(NOW, tick=False):
        done = cli.invoke(args=["partitions", "maintain"])
    assert done.exit_code == 0, done.output
    after = cli.invoke(args=["partitions", "status"])
    if is_postgres:
        assert "partitioned=True" in outbox_line(before.output)
        assert "outbox_events: created=" in done.output
        assert "default_rows=0" in outbox_line(after.output)
        assert "oldest=2026-03-01" in outbox_line(after.output)
    else:
        assert "partitioned=False" in outbox_line(after.output)
        assert "outbox_events: created=0 dropped=0 rows_moved=0 rows_deleted=0" in done.output
    assert "duration_ms=" in done.output
