"""`Idempotency-Key` on user POSTs: a retry with the same key and body gets the first response;
the same key with another body is 422.

The key, the request's effect and the response to replay commit in one transaction, so a worker
killed at any point leaves all three or none: a retry then replays the response, or runs the
request as if it were the first. A duplicate sent while the first still runs waits for it (on
the key's unique index) and then replays its response."""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import Response, g, request

from api.core.auth import current_user
from api.core.context import now, shared_transaction
from api.core.errors import ApiProblem
from carbon.services import idempotency

MAX_KEY_LENGTH = 255


def _request_hash() -> str:
    h = hashlib.sha256()
    h.update(f"{request.method} {request.path}\n".encode())
    h.update(request.get_data(cache=True))
    return h.hexdigest()


def idempotent(fn):
    """Put above the route's smorest decorators, below the auth decorator's effect."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return fn(*args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ApiProblem(400, "Bad Idempotency-Key",
                             f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.")
        user_id = current_user().id
        with shared_transaction() as tx:
            seen = idempotency.claim(tx.unit_of_work(), user_id, key, _request_hash(), now())
            if seen.outcome != "new":
                return _answer_seen(seen)
            g.canopy_transaction = tx  # the route's units of work join the key's transaction
            try:
                resp = fn(*args, **kwargs)
            finally:
                g.pop("canopy_transaction", None)
            # Anything but a success rolls back with its key, so a fixed retry can succeed.
            if isinstance(resp, Response) and 200 <= resp.status_code < 300:
                idempotency.store_response(tx.unit_of_work(), user_id, key, resp.status_code,
                                           resp.get_data(as_text=True))
                tx.commit()
            return resp

    return wrapper


def _answer_seen(seen: idempotency.Claim) -> Response:
    if seen.outcome == "mismatch":
        raise ApiProblem(422, "Idempotency-Key reused",
                         "This Idempotency-Key was used with another request body.",
                         code="idempotency_key_reused")
    if seen.outcome == "in_progress":
        raise ApiProblem(409, "Request in progress",
                         "A request with this Idempotency-Key is still being processed.",
                         code="request_in_progress")
    resp = Response(seen.body, status=seen.status_code, mimetype="application/json")
    resp.headers["Idempotent-Replayed"] = "true"
    return resp
