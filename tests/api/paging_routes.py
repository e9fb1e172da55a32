"""The list routes and, for each, how to fill it with more items than one page: the seed
returns the items' names in the order the route documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from carbon.models import ActivityType
from carbon.outbox_models import OutboxEvent
from carbon.services import outbox, webhooks
from carbon.webhook_models import WebhookDelivery
from game.farm.models import CharityProject, EggDonation, FeedGrant, QuizQuestion
from game.forest.models import Certificate, Project
from game.forest.services import friends, groups
from game.transparency.models import PublishedRoot
from tests.conftest import NOW
from tests.factories import BallFactory, UserFactory
from tests.factories.farm import CharityProjectFactory, QuizQuestionFactory
from tests.factories.forest import FriendshipFactory, PartnerFactory, ProjectFactory
from tests.factories.transparency import DonationRecordFactory, pending_order

ME, FRIEND = "pager-me", "pager-friend"
SCOPES = {"admin": ("admin",), "plantings": ("plantings",), "donations": ("donations",)}


@dataclass
class World:
    session: object
    uow: object
    me: object
    friend: object
    partner: object


def ids(session, column, *where) -> list:
    return list(session.scalars(select(column).where(*where).order_by(column)))


def seed_projects(w: World) -> list:
    ProjectFactory.create_batch(5)
    return ids(w.session, Project.id)


def seed_charity(w: World) -> list:
    CharityProjectFactory.create_batch(5)
    return ids(w.session, CharityProject.id)


def seed_types(w: World) -> list:
    for key in ("pagera", "pagerb", "pagerc", "pagerd", "pagere"):
        w.session.add(ActivityType(key=key, unit="one", aggregate="sum", max_quantity=1,
                                   created_at=NOW))
    w.session.flush()
    return ids(w.session, ActivityType.key)


def seed_questions(w: World) -> list:
    QuizQuestionFactory.create_batch(5)
    return ids(w.session, QuizQuestion.id)


def seed_my_orders(w: World) -> list:
    project = ProjectFactory(energy_cost_g=100, budget=100)
    return [pending_order(w.session, w.uow, project=project, user=w.me)[0].id for _ in range(5)]


def seed_certificates(w: World) -> list:
    for i in range(5):
        w.session.add(Certificate(number=f"CNP-2026-9{i:05d}", kind="tree", user_id=w.me.id,
                                  quantity=1, year=2026, issued_at=NOW))
    w.session.flush()
    return list(w.session.scalars(select(Certificate.number).where(
        Certificate.user_id == w.me.id).order_by(Certificate.id)))


def seed_partner_orders(w: World) -> list:
    project = ProjectFactory(partner=None, partner_id=w.partner.id, energy_cost_g=100, budget=9)
    ProjectFactory()  # another partner's orders are not listed
    return [pending_order(w.session, w.uow, project=project)[0].id for _ in range(5)]


def seed_records(w: World) -> list:
    mine = CharityProjectFactory(partner=None, partner_id=w.partner.id)
    DonationRecordFactory()  # another charity's record is not listed
    return [DonationRecordFactory(project=mine).id for _ in range(5)]


def ball(user, days_ago: int, ripe_at=NOW):
    """Balls are one per user, local day and type: each test ball has its own day."""
    return BallFactory(user=user, local_date=(NOW - timedelta(days=days_ago)).date(),
                       ripe_at=ripe_at)


def seed_my_balls(w: World) -> list:
    ball(w.friend, 0)  # someone else's ball is not listed
    return sorted(ball(w.me, i).id for i in range(5))  # listed by id (its date comes first)


def seed_friends(w: World) -> list:
    others = [UserFactory() for _ in range(5)]
    for o in others:
        FriendshipFactory(a=w.me, b=o)
    return [o.external_id for o in sorted(others, key=lambda o: o.id)]


def seed_requests(w: World) -> list:
    """Two pairs asked at the same instant: the asker's id breaks the tie."""
    askers = [(UserFactory(), NOW + timedelta(seconds=s)) for s in (2, 0, 1, 0, 1)]
    for user, at in askers:
        friends.request_friend(w.uow, user.id, ME, at)
    return [u.external_id for u, at in sorted(askers, key=lambda a: (a[1], a[0].id))]


def seed_groups(w: World) -> list:
    project = ProjectFactory(energy_cost_g=100, budget=100)
    return [groups.create_group(w.uow, w.me.id, f"g{i}", project.id, NOW)["id"]
            for i in range(5)]


def seed_friend_balls(w: World) -> list:
    FriendshipFactory(a=w.me, b=w.friend)
    times = [NOW + timedelta(hours=h) for h in (3, 1, 2, 1, 0)]
    balls = [ball(w.friend, i, at) for i, at in enumerate(times)]
    return [b.id for b in sorted(balls, key=lambda b: (b.ripe_at, b.id))]


def seed_roots(w: World) -> list:
    for i in range(5):
        w.session.add(PublishedRoot(log_date=(NOW - timedelta(days=9 - i)).date(), root="0" * 64,
                                    count=1, first_seq=i + 1, last_seq=i + 1, published_at=NOW))
    w.session.flush()
    return [(NOW - timedelta(days=9 - i)).date().isoformat() for i in range(5)]


def seed_feed_grants(w: World) -> list:
    days = [(NOW - timedelta(days=d)).date() for d in (2, 0, 4, 1, 3)]
    for day in days:
        w.session.add(FeedGrant(user_id=w.me.id, local_date=day, source="offline_payment",
                                units=1, feed_g=180, lost_g=0, created_at=NOW))
    w.session.flush()
    return [day.isoformat() for day in sorted(days, reverse=True)]  # newest day first


def seed_my_donations(w: World) -> list:
    project = CharityProjectFactory()
    w.session.add(EggDonation(user_id=w.friend.id, project_id=project.id, eggs=1,
                              created_at=NOW))  # not mine
    gifts = [EggDonation(user_id=w.me.id, project_id=project.id, eggs=i + 1, created_at=NOW)
             for i in range(5)]
    w.session.add_all(gifts)
    w.session.flush()
    return sorted((g.id for g in gifts), reverse=True)  # newest first


def seed_feed(w: World) -> list:
    """Two facts at the same instant: the id breaks the tie, newest (highest) first."""
    times = [NOW - timedelta(minutes=m) for m in (2, 0, 1, 0, 1)]
    outbox.record(w.session, "watered", NOW, user_id=w.friend.id, ball_id=1)  # not mine
    for at in times:
        outbox.record(w.session, "energy_stolen", at, user_id=w.me.id,
                      other_user_id=w.friend.id, ball_id=1, energy_g=5)
    return list(w.session.scalars(select(OutboxEvent.id).where(OutboxEvent.user_id == w.me.id)
                                  .order_by(OutboxEvent.occurred_at.desc(),
                                            OutboxEvent.id.desc())))


def seed_webhooks(w: World) -> list:
    partner = PartnerFactory()
    return [webhooks.add_endpoint(w.uow, partner.name, f"http://127.0.0.1:9/{i}",
                                  ["planting.ordered"], NOW).id for i in range(5)]


def _deliveries(w: World, partner_id: int, name: str) -> list:
    webhooks.add_endpoint(w.uow, name, "http://127.0.0.1:9/", ["planting.ordered"], NOW)
    for order_id in range(1, 6):
        outbox.record(w.session, "planting_ordered", NOW, partner_id=partner_id,
                      order_id=order_id, project_id=1, quantity=1, energy_g=100)
    return ids(w.session, WebhookDelivery.id, WebhookDelivery.partner_id == partner_id)[::-1]


def seed_all_deliveries(w: World) -> list:
    other = PartnerFactory()
    return _deliveries(w, other.id, other.name)  # newest first


def seed_my_deliveries(w: World) -> list:
    other = PartnerFactory()
    _deliveries(w, other.id, other.name)  # another partner's are not listed
    return _deliveries(w, w.partner.id, w.partner.name)


@dataclass(frozen=True)
class Route:
    path: str
    who: str  # public | user | admin | plantings | donations
    seed: Callable[[World], list]
    key: str  # the item field that names it

    def __str__(self) -> str:
        return self.path


ROUTES = [
    Route("/v1/projects", "public", seed_projects, "id"),
    Route("/v1/charity-projects", "public", seed_charity, "id"),
    Route("/v1/public/log/roots", "public", seed_roots, "log_date"),
    Route("/v1/admin/projects", "admin", seed_projects, "id"),
    Route("/v1/admin/charity-projects", "admin", seed_charity, "id"),
    Route("/v1/admin/activity-types", "admin", seed_types, "key"),
    Route("/v1/admin/quiz-questions", "admin", seed_questions, "id"),
    Route("/v1/partner/plantings", "plantings", seed_partner_orders, "id"),
    Route("/v1/partner/donations", "donations", seed_records, "id"),
    Route("/v1/me/plantings", "user", seed_my_orders, "id"),
    Route("/v1/me/certificates", "user", seed_certificates, "number"),
    Route("/v1/me/balls", "user", seed_my_balls, "id"),
    Route("/v1/me/farm/feed-grants", "user", seed_feed_grants, "date"),
    Route("/v1/me/feed", "user", seed_feed, "id"),
    Route("/v1/me/donations", "user", seed_my_donations, "id"),
    Route("/v1/me/friends", "user", seed_friends, "user_id"),
    Route("/v1/me/friend-requests", "user", seed_requests, "user_id"),
    Route("/v1/me/groups", "user", seed_groups, "id"),
    Route(f"/v1/friends/{FRIEND}/balls", "user", seed_friend_balls, "id"),
    Route("/v1/admin/webhooks", "admin", seed_webhooks, "id"),
    Route("/v1/admin/webhook-deliveries", "admin", seed_all_deliveries, "id"),
    Route("/v1/partner/webhook-deliveries", "plantings", seed_my_deliveries, "id"),
]
