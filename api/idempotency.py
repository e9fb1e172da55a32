"""`Idempotency-Key` on user POSTs: a retry with the same key and body gets the first response;
the same key with another body is 422; a key whose request is still running is 409."""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import Response, request

from api.auth import current_user
from api.context import now, uow
from api.errors import ApiProblem
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
        user = current_user()
        seen = idempotency.reserve(uow(), user.id, key, _request_hash(), now())
        if seen.outcome == "mismatch":
            raise ApiProblem(422, "Idempotency-Key reused",
                             "This Idempotency-Key was used with another request body.",
                             code="idempotency_key_reused")
        if seen.outcome == "in_progress":
            raise ApiProblem(409, "Request in progress",
                             "A request with this Idempotency-Key is still being processed.",
                             code="request_in_progress")
        if seen.outcome == "replay":
            resp = Response(seen.body, status=seen.status_code, mimetype="application/json")
            resp.headers["Idempotent-Replayed"] = "true"
            return resp
        try:
            resp = fn(*args, **kwargs)
        except BaseException:
            idempotency.release(uow(), user.id, key)
            raise
        if isinstance(resp, Response) and 200 <= resp.status_code < 300:
            idempotency.complete(uow(), user.id, key, resp.status_code, resp.get_data(as_text=True))
        else:
            idempotency.release(uow(), user.id, key)
        return resp

    return wrapper
