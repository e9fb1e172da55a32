"""User JWTs (HS256, `sub`, optional `tz`) and HMAC-signed partner requests."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from functools import wraps

import jwt
from flask import current_app, g, request

from api.context import config, now, uow
from api.errors import ApiProblem
from carbon.domain import is_valid_zone
from carbon.services.partners import PartnerRef, find_partner
from carbon.services.users import UserRef, check_external_id, find_or_create_user

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


def signature(secret: str, timestamp: str, method: str, path_and_query: str, body: bytes) -> str:
    message = f"{timestamp}\n{method.upper()}\n{path_and_query}\n{hashlib.sha256(body).hexdigest()}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _path_and_query() -> str:
    qs = request.query_string.decode()
    return request.path + (f"?{qs}" if qs else "")


def _verify_partner(scope: str) -> PartnerRef:
    key_id = request.headers.get("X-Partner-Key")
    ts = request.headers.get("X-Timestamp")
    sig = request.headers.get("X-Signature")
    if not key_id or not ts or not sig:
        raise ApiProblem(401, "Unauthorized",
                         "Signed requests need X-Partner-Key, X-Timestamp and X-Signature.")
    try:
        ts_value = int(ts)
    except ValueError as exc:
        raise ApiProblem(401, "Unauthorized", "X-Timestamp must be unix seconds.") from exc
    skew = abs(now().timestamp() - ts_value)
    if skew > config().PARTNER_MAX_SKEW_S:
        raise ApiProblem(401, "Unauthorized",
                         f"X-Timestamp is {int(skew)} s away from our clock "
                         f"(at most {config().PARTNER_MAX_SKEW_S} s allowed).")
    partner = find_partner(uow(), key_id)
    expected = partner and signature(partner.secret, ts, request.method, _path_and_query(),
                                     request.get_data(cache=True))
    if not partner or not hmac.compare_digest(expected, sig.lower()):
        raise ApiProblem(401, "Unauthorized", "The signature does not match this key and request.")
    if scope not in partner.scopes:
        raise ApiProblem(403, "Forbidden", f"This key lacks the '{scope}' scope.")
    return partner


def current_partner() -> PartnerRef:
    return g.partner


def partner_required(scope: str):
    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            g.partner = _verify_partner(scope)
            return fn(*args, **kwargs)

        return wrapper

    return decorator
