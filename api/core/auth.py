"""User JWTs (HS256, `sub`, `exp`, optional `tz`, `iat`, `iss`, `aud`); signed partner
requests live in api.core.partner_auth and are re-exported here for the routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import wraps

import jwt
from flask import current_app, g, request

from api.core.context import config, now, uow
from api.core.errors import ApiProblem
from api.core.partner_auth import current_partner, partner_required, signature
from carbon.domain.account import is_valid_user_id, is_valid_zone
from carbon.services.users import UserRef, check_external_id, find_or_create_user
from config import Config

__all__ = ["current_partner", "current_user", "make_token", "partner_required", "signature",
           "user_required"]

_KNOWN_USERS_MAX = 100_000
_BEARER = {"WWW-Authenticate": 'Bearer realm="canopy"'}


def make_token(secret: str, user_id: str, tz: str | None = None, hours: int = 24 * 30,
               issuer: str | None = None, audience: str | None = None) -> str:
    claims = {"sub": user_id, "exp": datetime.now(UTC) + timedelta(hours=hours)}
    optional = {"tz": tz, "iss": issuer, "aud": audience}
    claims.update((k, v) for k, v in optional.items() if v)
    return jwt.encode(claims, secret, algorithm="HS256")


def _unauthorized(detail: str, code: str = "token_invalid") -> ApiProblem:
    return ApiProblem(401, "Unauthorized", detail, headers=_BEARER, code=code)


def _decode(token: str, cfg: Config) -> dict:
    try:
        claims = jwt.decode(token, cfg.JWT_SECRET, algorithms=["HS256"], issuer=cfg.JWT_ISSUER,
                            audience=cfg.JWT_AUDIENCE,
                            options={"require": ["sub", "exp"],
                                     "verify_aud": cfg.JWT_AUDIENCE is not None})
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("The token has expired.", "token_expired") from exc
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"The token is not valid: {exc}.") from exc
    _check_lifetime(claims, cfg.JWT_MAX_LIFETIME_DAYS)
    return claims


def _check_lifetime(claims: dict, max_days: int) -> None:
    """A token must not outlive max_days from now, nor from its iat (PyJWT has checked that
    both are numbers; integers compare without overflow however large they are)."""
    longest = max_days * 86_400
    exp = int(claims["exp"])
    start = int(claims["iat"]) if "iat" in claims else int(now().timestamp())
    if exp > int(now().timestamp()) + longest or exp > start + longest:
        raise _unauthorized(f"The token lives too long: its exp is more than {max_days} days "
                            "after now or after its iat.")


def _user_from_token() -> UserRef:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise _unauthorized("Send 'Authorization: Bearer <JWT>'.", "token_missing")
    claims = _decode(header[7:].strip(), config())
    sub = claims.get("sub")
    if not is_valid_user_id(sub):
        raise _unauthorized(f"The token's sub is not usable: {check_external_id(sub)}.")
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
