"""`flask stats check` and `flask stats recount`."""

from __future__ import annotations

from game.stats.models import PublicCounterSlot
from tests.factories import UserFactory


def test_check_passes_then_fails_on_a_drifted_counter_and_recount_repairs_it(app, session,
                                                                           not_on_citus):
    not_on_citus("the public counters are added by the services there (migration 0026 drops "
                 "the triggers), and this test makes its user with a factory, which no counter "
                 "follows")
    UserFactory(co2e_total_g=50)
    cli = app.test_cli_runner()
    ok = cli.invoke(args=["stats", "check"])
    assert ok.exit_code == 0 and "match the tables" in ok.output
    session.add(PublicCounterSlot(slot=99, users=1, co2e_total_g=0, trees_planted=0,
                                  eggs_donated=0))
    session.flush()
    drifted = cli.invoke(args=["stats", "check"])
    assert drifted.exit_code == 1 and "differ from the tables" in drifted.stderr
    repaired = cli.invoke(args=["stats", "recount"])
    assert repaired.exit_code == 0 and "counters rebuilt: users=" in repaired.output
    assert cli.invoke(args=["stats", "check"]).exit_code == 0
