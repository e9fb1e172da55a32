"""Conservation as a hypothesis stateful property: whatever users do, in any order, at any time,
feed earned = in store + in troughs + eaten + lost to overflow, and eggs laid = held + donated."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from carbon.errors import CanopyError
from game.farm.services.charity import donate, get_project
from game.farm.services.chicken import chase, farm_state, feed, visit
from game.farm.services.feed import credit_feed
from game.forest.services.friends import request_friend
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.farm import CharityProjectFactory, FarmFactory, feed_accounts

WHO = st.integers(0, 2)


def test_feed_and_eggs_are_conserved_whatever_happens(uow, session):
    grant_days = itertools.count()

    class Farmyard(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.users = [UserFactory() for _ in range(3)]
            self.ids = [u.id for u in self.users]
            for u in self.users:  # 900 g in store; 1,700 g eaten (an egg and 800 g toward one)
                FarmFactory(user=u, feed_store_g=900, eaten_g=1_700, fed_g=1_700,
                            feed_earned_g=2_600)
            for a, b in itertools.combinations(self.users, 2):
                request_friend(uow, a.id, b.external_id, NOW)
                request_friend(uow, b.id, a.external_id, NOW)
            self.project = CharityProjectFactory(egg_target=2).id
            self.now = NOW
            self.earned = 3 * 2_600

        def attempt(self, call):
            try:
                return call()
            except CanopyError:
                return None  # a refusal changes nothing; the invariants check it

        @rule(who=WHO, grams=st.sampled_from([180, 360, 720, 1_800]))
        def earn(self, who, grams):
            day = date(2026, 1, 1) + timedelta(days=next(grant_days))
            with uow:
                credit_feed(uow.session, day, "test", {self.ids[who]: (1, grams)}, self.now)
                uow.commit()
            self.earned += grams

        @rule(who=WHO)
        def fill(self, who):
            self.attempt(lambda: feed(uow, self.ids[who], self.now))

        @rule(who=WHO, other=st.integers(1, 2))
        def steal(self, who, other):
            host = self.users[(who + other) % 3].external_id
            self.attempt(lambda: visit(uow, self.ids[who], host, self.now))

        @rule(who=WHO)
        def shoo(self, who):
            self.attempt(lambda: chase(uow, self.ids[who], self.now))

        @rule(who=WHO, eggs=st.integers(1, 2))
        def give(self, who, eggs):
            self.attempt(lambda: donate(uow, self.ids[who], self.project, eggs, self.now))

        @rule(seconds=st.integers(1, 20_000))
        def wait(self, seconds):
            self.now += timedelta(seconds=seconds)

        @invariant()
        def feed_and_eggs_are_conserved(self):
            views = [farm_state(uow, uid, self.now) for uid in self.ids]
            assert feed_accounts(uow, dict(zip(self.ids, views, strict=True))) == (self.earned, self.earned)
            assert all(v.eggs_laid == v.eggs + v.eggs_donated and v.eggs >= 0 for v in views)
            assert all(0 <= v.trough_g <= 180 and 0 <= v.feed_store_g <= 1_800 for v in views)
            donated = get_project(uow, self.project).eggs_donated
            assert sum(v.eggs_donated for v in views) == donated

    run_state_machine_as_test(Farmyard, settings=settings(
        max_examples=12, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))
