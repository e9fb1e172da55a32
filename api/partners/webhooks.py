"""Partners read the webhooks sent to them, dead letters included, and ask for a redelivery."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.core.auth import current_partner, partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, documented
from api.core.pagination import paged
from api.schemas.fields import known_id
from api.schemas.webhooks import DeliveryPageSchema, DeliveryQuerySchema, DeliverySchema
from carbon.services import webhook_deliveries

blp = Blueprint("partner_webhooks", __name__, url_prefix="/v1/partner/webhook-deliveries",
                description="Webhook deliveries (planting and charity partners)")

# The partners that receive webhooks: planting partners and charities.
RECEIVERS = ("plantings", "donations")


@blp.route("")
class PartnerDeliveries(MethodView):
    @partner_required(RECEIVERS)
    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def get(self, query):
        """The webhooks sent (or being sent) to me, newest first, by status."""
        return paged(webhook_deliveries.list_deliveries(
            uow(), current_partner().id, query["status"], query["after"], query["limit"]))


@blp.route("/<int:delivery_id>/redeliver")
class PartnerRedeliver(MethodView):
    @partner_required(RECEIVERS, replayable=True)  # asking again changes nothing more
    @blp.response(200, DeliverySchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404))
    def post(self, delivery_id):
        """Send one of my deliveries again soon, with a fresh 3-day window (same event id)."""
        return webhook_deliveries.redeliver(uow(), current_partner().id,
                                            known_id(delivery_id, "delivery"), now())
