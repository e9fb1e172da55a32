"""What a member sees of a co-planting group."""

from __future__ import annotations

from sqlalchemy.orm import Session

from carbon.services import ledger, lookups
from game.forest.models import PlantingGroup
from game.forest.repository import certificates as cert_repo
from game.forest.repository import groups as repo
from game.forest.repository import plantings as plantings_repo


def group_view(s: Session, g: PlantingGroup) -> dict:
    project = plantings_repo.project_of(s, g.project_id)
    members = repo.members(s, g.id)
    given = repo.given_by_member(s, g.id)
    names = lookups.external_ids(s, [m.user_id for m in members])
    order = plantings_repo.order_of_group(s, g.id)
    pot = ledger.posted_balance(s, ledger.account(s, f"group:{g.id}", None,
                                                    tracks_balance=True))
    return {
        "id": g.id, "name": g.name, "project_id": project.id, "project_name": project.name,
        "status": g.status, "cost_g": project.energy_cost_g, "pot_g": pot,
        "members": [{"user_id": names[m.user_id], "status": m.status,
                     "given_g": given.get(m.user_id, 0)} for m in members],
        "order": None if order is None else {
            "id": order.id, "status": order.status,
            "certificates": sorted(c.number for c in cert_repo.of_order(s, order.id))},
    }
