"""GET /v1/public/stats answers from the maintained counters, never from a scan."""

from __future__ import annotations

from game.stats.models import PublicCounterSlot
from game.stats.services import scanned_stats
from tests.factories import UserFactory


def test_public_stats_equal_the_scanned_figures(client, session, uow, not_on_citus):
    not_on_citus("the public counters are added by the services there (migration 0026 drops "
                 "the triggers), and this test makes its user with a factory, which no counter "
                 "follows")
    UserFactory(co2e_total_g=1234)
    body = client.get("/v1/public/stats").get_json()
    assert body == scanned_stats(uow) and body["co2e_total_g"] >= 1234


def test_public_stats_are_the_sums_of_the_counter_slots(client, session, uow):
    UserFactory()
    session.add(PublicCounterSlot(slot=99, users=0, co2e_total_g=0, trees_planted=7,
                                  eggs_donated=0))
    session.flush()
    body = client.get("/v1/public/stats").get_json()
    assert body["trees_planted"] == scanned_stats(uow)["trees_planted"] + 7
