"""Operators register partners' webhook endpoints and watch every delivery (admin scope)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.core.auth import partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, documented
from api.core.pagination import paged
from api.schemas.fields import known_id
from api.schemas.webhooks import (
    DeliveryPageSchema,
    DeliveryQuerySchema,
    DeliverySchema,
    EndpointCreateSchema,
    EndpointPageSchema,
    EndpointQuerySchema,
    EndpointSchema,
)
from carbon.services import webhook_deliveries, webhooks

blp = Blueprint("admin_webhooks", __name__, url_prefix="/v1/admin",
                description="Partner webhooks (operators)")


@blp.route("/webhooks")
class AdminWebhooks(MethodView):
    @partner_required("admin")
    @blp.arguments(EndpointQuerySchema, location="query")
    @blp.response(200, EndpointPageSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def get(self, query):
        """Registered webhook endpoints, of one partner or all."""
        return paged(webhooks.list_endpoints(uow(), query["partner_name"], query["after"],
                                             query["limit"]))

    @partner_required("admin")
    @blp.arguments(EndpointCreateSchema)
    @blp.response(201, EndpointSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def post(self, body):
        """Register an endpoint for a partner's events of the given types (from now on)."""
        return webhooks.add_endpoint(uow(), body["partner_name"], body["url"],
                                     body["event_types"], now())


@blp.route("/webhooks/<int:endpoint_id>")
class AdminWebhook(MethodView):
    @partner_required("admin")
    @blp.response(204)
    @documented(blp, security=PARTNER, errors=(401, 403, 404))
    def delete(self, endpoint_id):
        """Remove an endpoint; its pending deliveries are cancelled."""
        webhooks.remove_endpoint(uow(), known_id(endpoint_id, "webhook endpoint"))


@blp.route("/webhook-deliveries")
class AdminDeliveries(MethodView):
    @partner_required("admin")
    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def get(self, query):
        """Every partner's deliveries, newest first; `status=dead` lists the dead letters."""
        return paged(webhook_deliveries.list_deliveries(uow(), None, query["status"],
                                                        query["after"], query["limit"]))


@blp.route("/webhook-deliveries/<int:delivery_id>/redeliver")
class AdminRedeliver(MethodView):
    @partner_required("admin", replayable=True)  # asking again changes nothing more
    @blp.response(200, DeliverySchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404))
    def post(self, delivery_id):
        """Send a delivery again soon (a dead letter too), with a fresh 3-day window."""
        return webhook_deliveries.redeliver(uow(), None, known_id(delivery_id, "delivery"),
                                            now())
