"""Watering a friend: 10, 18, 33 or 66 g of my available energy arrive as a ripe ball that
nobody can steal; at most three times per friend per day (my local day)."""

from __future__ import annotations

from datetime import datetime

from carbon.domain.account import BALL_LIFETIME, local_date_of
from carbon.services import ledger, outbox
from carbon.services.balls import issue_ball
from carbon.services.users import get_user
from db import UnitOfWork
from game.forest.domain import WATER_AMOUNTS_G, WATERINGS_PER_FRIEND_PER_DAY, is_valid_water_amount
from game.forest.errors import InvalidWaterAmount, NotFriends, WateringLimitReached
from game.forest.repository import steals as repo
from game.forest.services.friends import require_friends

WATER = "water"  # the ball's kind and activity type
WATERING_CAUSE = "watering"


def water(uow: UnitOfWork, me_id: int, my_tz: str, friend_external: str, energy_g: int,
          now: datetime) -> dict:
    if not is_valid_water_amount(energy_g):
        allowed = ", ".join(str(g) for g in WATER_AMOUNTS_G)
        raise InvalidWaterAmount(f"energy_g must be one of {allowed}.",
                                 {"energy_g": [f"one of {allowed}"]})
    with uow:
        s = uow.session
        friend = get_user(s, friend_external)
        if friend.id == me_id:
            raise NotFriends("You cannot water yourself.")
        require_friends(s, me_id, friend.id)
        taken = repo.add_watering(s, me_id, friend.id, local_date_of(now, my_tz), energy_g, now)
        if taken is None:
            raise WateringLimitReached(
                f"You already watered '{friend_external}' {WATERINGS_PER_FRIEND_PER_DAY} times "
                "today; try again tomorrow.")
        watering_id, seq = taken
        ball_id = issue_ball(s, friend.id, WATER, WATER, local_date_of(now, friend.timezone),
                             energy_g, now, now + BALL_LIFETIME, False,
                             ledger.available_account(s, me_id), WATERING_CAUSE, watering_id, now)
        repo.set_watering_ball(s, watering_id, ball_id)
        energy = ledger.available_balance(s, me_id)
        outbox.record(s, "watered", now, user_id=friend.id, other_user_id=me_id,
                      ball_id=ball_id, energy_g=energy_g)
        uow.commit()
    return {"user_id": friend_external, "ball_id": ball_id, "energy_g": energy_g,
            "my_energy_g": energy, "waterings_left_today": WATERINGS_PER_FRIEND_PER_DAY - seq}
