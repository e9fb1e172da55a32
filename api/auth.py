"""User JWTs (HS256, `sub`, optional `tz`); signed partner requests live in api.partner_auth
and are re-exported here for the routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import wraps

import jwt
from flask import current_app, g, request

from api.context import config, now, uow
from api.errors import ApiProblem
from api.partner_auth import current_partner, partner_required, signature
from carbon.domain import is_valid_zone
from carbon.services.users import UserRef, check_external_id, find_or_create_user

__all__ = ["current_partner", "current_user", "make_token", "partner_required", "signature",
           "user_required"]

_KNOWN_USERS_MAX = 100_000
_BEARER = {"WWW-Authenticate": 'Bearer realm="canopy"'}


def make_token(secret: str, user_id: str, tz: str | None = None, hours: int = 24 * 30) -> str:
    claims = {"sub": user_id, "exp": datetime.now(UTC) + timedelta(hours=hours)}
    if tz:
        claims["tz"] = tz
    return jwt.encode(claims, secret, algorithm="HS256")


def _unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(401, "Unauthorized", detail, headers=_BEARER)


def _user_from_token() -> UserRef:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise _unauthorized("Send 'Authorization: Bearer <JWT>'.")
    try:
        claims = jwt.decode(header[7:].strip(), config().JWT_SECRET, algorithms=["HS256"],
                            options={"require": ["sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"The token is not valid: {exc}.") from exc
    sub = claims.get("sub")
    reason = check_external_id(sub)
    if reason:
        raise _unauthorized(f"The token's sub is not usable: {reason}.")
    tz = claims.get("tz") or config().DEFAULT_TIMEZONE
    if not isinstance(tz, str) or not is_valid_zone(tz):
        raise _unauthorized(f"The token's tz claim '{tz}' is not an IANA time zone.")
    # A user's id and zone never change once created, so each worker remembers them and spares
    # every request a transaction of its own (bounded: cleared when full).
    known = current_app.extensions.setdefault("canopy_known_users", {})
    user = known.get(sub)
    if user is None:
        if len(known) >= _KNOWN_USERS_MAX:
            known.clear()
        user = known[sub] = find_or_create_user(uow(), sub, tz, now())
    return user


def current_user() -> UserRef:
    if "user" not in g:
        g.user = _user_from_token()
    return g.user


def user_required(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        current_user()
        return fn(*args, **kwargs)

    return wrapper
