"""POST /v1/partner/events: a signed batch of up to 1000 activity events."""

from __future__ import annotations

import json
import math

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.core.auth import current_partner, partner_required
from api.core.context import config, now, uow
from api.core.docs import PARTNER, documented
from api.core.errors import ApiProblem
from api.core.metrics import record_ingest
from api.schemas.events import EventBatchSchema, IngestResultSchema
from carbon.services.events import ingest_events

blp = Blueprint("partner_events", __name__, description="Activity events from partners")


def _invalid(detail: str) -> ApiProblem:
    return ApiProblem(422, "Invalid input", detail, {"events": [detail]})


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _int(text: str) -> int | float:
    # Python refuses to read integers of more than 4,300 digits, which would refuse the whole
    # batch: read them as infinite, which the event's own checks reject (quantity, attributes).
    return int(text) if len(text) <= 64 else math.inf


def events_from_body(max_batch: int) -> list:
    """The body's event list, read by hand (see EventSchema): the batch as a whole is refused
    here only when it is not a batch; each event is judged on its own by the service."""
    try:
        # NaN and Infinity are not JSON (the whole body is refused); 1e400 and 10**5000 are, and
        # are read as infinite numbers, so that their event alone is rejected.
        body = json.loads(request.get_data(cache=True), parse_constant=_no_constant,
                          parse_int=_int)
    except RecursionError as exc:
        raise ApiProblem(400, "JSON too deep", "The body is nested too deep to be read.",
                         code="json_too_deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, "Malformed JSON", f"The body is not valid JSON: {exc}.",
                         code="malformed_json") from exc
    if not isinstance(body, dict):
        raise _invalid("The body must be a JSON object: {\"events\": [...]}.")
    events = body.get("events")
    if not isinstance(events, list):
        raise _invalid("events must be a list of 1 to 1000 events.")
    if not events:
        raise _invalid("events is empty: send 1 to 1000 events.")
    if len(events) > max_batch:
        raise _invalid(f"A batch holds at most {max_batch} events; this one has {len(events)}. "
                       "Split it.")
    return events


@blp.route("/v1/partner/events")
class PartnerEvents(MethodView):
    @partner_required("events:write", replayable=True)
    @blp.doc(requestBody={"required": True,
                          "content": {"application/json": {"schema": EventBatchSchema}}})
    @blp.response(200, IngestResultSchema)
    @documented(blp, security=PARTNER, errors=(400, 401, 403, 422))
    def post(self):
        """Post 1 to 1000 activity events; each is accepted, a duplicate, or rejected."""
        events = events_from_body(config().EVENTS_MAX_BATCH)
        source = current_partner().name
        result = ingest_events(uow(), source, events, config().DEFAULT_TIMEZONE, now())
        record_ingest(source, result)
        return result
