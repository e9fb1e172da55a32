"""Hypothesis drives random settle / collect / steal / water / plant / confirm / reject /
contribute / expire sequences over a few friends; after every step every gram issued is
somewhere: available + in open balls + spent on plantings + expired + in group pots."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, insert, select

from carbon.domain.account import local_date_of
from carbon.errors import CanopyError
from carbon.models import ActivityEvent, Ball, LedgerAccount, LedgerEntry
from carbon.services import balls, ledger
from carbon.services.reconcile import reconcile
from carbon.services.settlement import settle_day
from game.forest.models import GroupContribution, GroupMember, PlantingGroup, PlantingOrder
from game.forest.services import decisions, groups, plantings, steal, water
from tests.conftest import NOW
from tests.factories import UserFactory, bind_factories
from tests.factories.carbon import seed_methodology
from tests.factories.forest import FriendshipFactory, ProjectFactory

USERS = 4
TZ = "Asia/Shanghai"
EVIDENCE = {"latitude": 40.0, "longitude": 105.0, "plot": "P", "photo_urls": [], "note": ""}
user_index = st.integers(0, USERS - 1)
KINDS = ["offline_payment", "bus_ride", "metro_ride"]


def system_sums(s) -> dict[str, int]:
    """code -> sum of entries, for the system accounts (their balance is their entries)."""
    rows = s.execute(select(LedgerAccount.code, func.sum(LedgerEntry.amount_g))
                     .join(LedgerEntry, (LedgerEntry.owner_id == LedgerAccount.owner_id)
                           & (LedgerEntry.account_id == LedgerAccount.id))
                     .where(LedgerAccount.user_id.is_(None), LedgerAccount.tracks_balance.is_(False))
                     .group_by(LedgerAccount.code))
    return {code: int(total) for code, total in rows}


def tracked_sums(s) -> tuple[int, int]:
    """(users' available energy, group pots), from the running balances."""
    rows = s.execute(select(LedgerAccount.code, func.sum(LedgerAccount.balance_g))
                     .where(LedgerAccount.tracks_balance.is_(True)).group_by(LedgerAccount.code))
    pots = users = 0
    for code, total in rows:
        if code.startswith("group:"):
            pots += int(total)
        else:
            users += int(total)
    return users, pots


def ball_sums(s) -> dict[tuple[str, str], tuple[int, int]]:
    """(status, kind) -> (energy_g, remaining_g)."""
    rows = s.execute(select(Ball.status, Ball.kind, func.sum(Ball.energy_g),
                            func.sum(Ball.remaining_g)).group_by(Ball.status, Ball.kind))
    return {(st_, kind): (int(e), int(r)) for st_, kind, e, r in rows}


class Forest(RuleBasedStateMachine):
    def __init__(self, connection, uow):
        super().__init__()
        self.savepoint = connection.begin_nested()  # each example starts from an empty forest
        self.uow, self.clock, self.orders = uow, NOW, []
        with uow:
            bind_factories(uow.session)
            self.users = [UserFactory() for _ in range(USERS)]
            for i, a in enumerate(self.users):
                for b in self.users[i + 1:]:
                    FriendshipFactory(a=a, b=b)
            self.project = ProjectFactory(energy_cost_g=60, budget=4)
            self.ids = [u.id for u in self.users]
            self.names = [u.external_id for u in self.users]
            self.partner_id, self.project_id = self.project.partner_id, self.project.id
            uow.commit()
        self.group_id = groups.create_group(uow, self.ids[0], "all", self.project_id, NOW)["id"]
        with uow:
            uow.session.execute(insert(GroupMember), [
                {"group_id": self.group_id, "user_id": uid, "status": "member",
                 "invited_by_user_id": self.ids[0], "invited_at": NOW, "joined_at": NOW}
                for uid in self.ids[1:]])
            uow.commit()
        # Start at 12:00 on the day after a settled day: everyone has ripe balls.
        self.clock = NOW - timedelta(hours=24)
        self.day_passes([(i, kind, 3) for i in range(USERS) for kind in KINDS])

    def teardown(self):
        try:
            assert reconcile(self.uow) == []
        finally:
            self.savepoint.rollback()

    def attempt(self, action, *args):
        try:
            return action(self.uow, *args)
        except CanopyError:
            return None  # a refusal by a rule: nothing may have moved

    def earn(self, events) -> None:
        """Store one event per (user, type) at the clock's instant (quantity = count)."""
        day = local_date_of(self.clock, TZ)
        rows = [{"source": "test", "source_event_id": f"e{self.clock.timestamp()}-{n}",
                 "user_id": self.ids[who], "activity_type": kind, "quantity": times,
                 "occurred_at": self.clock, "local_date": day, "attributes": {},
                 "payload_hash": "h", "dedupe_key": None, "received_at": self.clock}
                for n, (who, kind, times) in enumerate(events)]
        if rows:
            with self.uow:
                self.uow.session.execute(insert(ActivityEvent), rows)
                self.uow.commit()

    def day_passes(self, events) -> None:
        """The day's events, then 24 h later the nightly settlement of that day."""
        self.earn(events)
        day = local_date_of(self.clock, TZ)
        self.clock += timedelta(hours=24)
        settle_day(self.uow, day, self.clock, timezones=[TZ])

    @rule(events=st.lists(st.tuples(user_index, st.sampled_from(KINDS), st.integers(1, 3)),
                          max_size=5))
    def a_day_passes(self, events):
        self.day_passes(events)

    @rule(hours=st.sampled_from([1, 7, 75]))
    def advance(self, hours):
        self.clock += timedelta(hours=hours)

    @rule(who=user_index)
    def collect(self, who):
        balls.collect_all(self.uow, self.ids[who], self.clock)

    @rule(thief=user_index, owner=user_index, pick=st.integers(0, 5))
    def steal(self, thief, owner, pick):
        with self.uow:
            open_ids = list(self.uow.session.scalars(select(Ball.id).where(
                Ball.user_id == self.ids[owner], Ball.status == "open").order_by(Ball.id)))
        if open_ids:
            self.attempt(steal.steal, self.ids[thief], self.names[owner],
                         open_ids[pick % len(open_ids)], self.clock)

    @rule(giver=user_index, receiver=user_index, grams=st.sampled_from([10, 18, 33, 66]))
    def water(self, giver, receiver, grams):
        self.attempt(water.water, self.ids[giver], TZ, self.names[receiver], grams, self.clock)

    @rule(who=user_index, quantity=st.integers(1, 2))
    def plant(self, who, quantity):
        order = self.attempt(plantings.plant, self.ids[who], self.project_id, quantity,
                             self.clock)
        if order is not None:
            self.orders.append(order.id)

    @rule(who=user_index, grams=st.sampled_from([5, 20, 60]))
    def contribute(self, who, grams):
        view = self.attempt(groups.contribute, self.ids[who], self.group_id, grams, self.clock)
        if view and view["order"] and view["order"]["id"] not in self.orders:
            self.orders.append(view["order"]["id"])

    @rule(pick=st.integers(0, 9), confirm=st.booleans())
    def decide(self, pick, confirm):
        if not self.orders:
            return
        order_id = self.orders[pick % len(self.orders)]
        if confirm:
            self.attempt(decisions.confirm, self.partner_id, order_id,
                         {**EVIDENCE, "planted_at": self.clock}, self.clock)
        else:
            self.attempt(decisions.reject, self.partner_id, order_id, "no", self.clock)

    @rule()
    def expire(self):
        balls.expire_balls(self.uow, self.clock)

    @invariant()
    def every_gram_is_somewhere(self):
        with self.uow:
            s = self.uow.session
            system, balls_by = system_sums(s), ball_sums(s)
            available, pots = tracked_sums(s)
            issued = -system.get(ledger.ISSUED, 0)
            in_balls, expired = system.get(ledger.BALLS, 0), system.get(ledger.EXPIRED, 0)
            spent = system.get(plantings.PLANTINGS, 0)
            assert issued == sum(e for (_, kind), (e, _) in balls_by.items()
                                 if kind == "settlement")
            assert in_balls == sum(r for (status, _), (_, r) in balls_by.items()
                                   if status == "open")
            assert expired == sum(r for (status, _), (_, r) in balls_by.items()
                                  if status == "expired")
            assert spent == s.scalar(select(func.coalesce(func.sum(PlantingOrder.energy_g), 0))
                                     .where(PlantingOrder.status != "rejected"))
            assert pots == s.scalar(
                select(func.coalesce(func.sum(GroupContribution.energy_g), 0))
                .join(PlantingGroup, PlantingGroup.id == GroupContribution.group_id)
                .where(PlantingGroup.status == "open"))
            assert issued == available + in_balls + spent + expired + pots
            assert s.scalar(select(func.min(LedgerAccount.balance_g))) >= 0
            unbalanced = (select(LedgerEntry.transaction_id).group_by(LedgerEntry.transaction_id)
                          .having(func.sum(LedgerEntry.amount_g) != 0))
            assert s.scalar(select(func.count()).select_from(unbalanced.subquery())) == 0


def test_random_forest_days_never_create_or_lose_a_gram(connection, uow):
    seed_methodology(uow)
    run_state_machine_as_test(
        lambda: Forest(connection, uow),
        settings=settings(max_examples=30, stateful_step_count=20, deadline=None,
                          suppress_health_check=list(HealthCheck)))
