"""The default methodology (published Ant Forest values) and its seeding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from carbon.models import ActivityType, MethodologyVersion
from db import UnitOfWork

# Versions seeded by default are in force since this instant, so that any event can be valued.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DefaultType:
    key: str
    unit: str
    factor_num: int
    factor_den: int
    cap_g: int | None
    cap_period: str | None
    aggregate: str = "sum"
    max_quantity: int = 100
    dedupe_attribute: str | None = None


# Count caps ("10 per day") are stored as gram caps: 10 x 5 g = 50 g a day.
DEFAULT_TYPES = [
    DefaultType("walk", "steps in a local day", 296, 18_000, 296, "day", "max", 100_000),
    DefaultType("offline_payment", "payment of CNY 1 or more", 5, 1, 50, "day"),
    DefaultType("utility_bill", "bill paid online", 262, 1, 2620, "month",
                dedupe_attribute="account_no"),
    DefaultType("movie_ticket", "ticket bought online", 180, 1, 1800, "month"),
    DefaultType("train_ticket", "ticket bought online", 136, 1, 1360, "month"),
    DefaultType("hospital_booking", "appointment booked online", 277, 1, 1385, "month"),
    DefaultType("metro_ride", "ride paid by QR code", 52, 1, 260, "day"),
    DefaultType("bus_ride", "ride paid by QR code", 80, 1, 400, "day"),
    DefaultType("etc_toll", "toll paid by ETC", 23, 1, 230, "day"),
    DefaultType("e_invoice", "electronic invoice", 5, 1, 25, "day"),
    DefaultType("box_return", "parcel box returned at a station", 37, 1, 185, "day"),
    DefaultType("clothes_recycle", "used clothes handed in", 790, 1, 790, "month"),
    DefaultType("no_cutlery_order", "take-away ordered without cutlery", 16, 1, 48, "day"),
]


def seed_default_methodology(uow: UnitOfWork, now: datetime) -> int:
    """Create the default activity types that do not exist yet; returns how many were added."""
    added = 0
    with uow:
        s = uow.session
        existing = set(s.scalars(select(ActivityType.key)))
        for t in DEFAULT_TYPES:
            if t.key in existing:
                continue
            s.add(ActivityType(key=t.key, unit=t.unit, aggregate=t.aggregate,
                               max_quantity=t.max_quantity, dedupe_attribute=t.dedupe_attribute,
                               active=True, created_at=now))
            s.add(MethodologyVersion(activity_type=t.key, effective_from=EPOCH, effective_to=None,
                                     factor_num=t.factor_num, factor_den=t.factor_den,
                                     cap_g=t.cap_g, cap_period=t.cap_period,
                                     note="default (published values)", created_at=now))
            added += 1
        uow.commit()
    return added
