"""HMAC-signed partner and operator requests: one signature covers one request, once."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from functools import wraps
from urllib.parse import quote

from flask import g, request

from api.core.context import config, now, uow
from api.core.errors import ApiProblem
from carbon.services.partners import PartnerRef, find_partner, use_signature

# Shapes checked before anything else reads the headers: a key id as `flask partner create`
# makes them, 64 hex digits, and unix seconds short enough to stay a number a clock can hold.
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a path segment may carry unescaped (RFC 3986 pchar): kept as is when re-quoting.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def signature(secret: str, timestamp: str, method: str, path_and_query: str, body: bytes) -> str:
    """hex HMAC-SHA256 of '{timestamp}\\n{METHOD}\\n{path and query as sent}\\n{sha256 of body}'."""
    message = f"{timestamp}\n{method.upper()}\n{path_and_query}\n{hashlib.sha256(body).hexdigest()}"
    return hmac.new(secret.encode(), message.encode("utf-8", "surrogatepass"),
                    hashlib.sha256).hexdigest()


def signed_target() -> str:
    """The path and query exactly as the client sent them (still percent-encoded): gunicorn's
    RAW_URI, or REQUEST_URI; without either, the decoded path quoted again."""
    for name in ("RAW_URI", "REQUEST_URI"):
        raw = request.environ.get(name)
        if isinstance(raw, str) and raw.startswith("/"):
            return raw
    qs = request.query_string.decode("latin-1")
    return quote(request.path, safe=_PATH_SAFE) + (f"?{qs}" if qs else "")


def _refused(detail: str, code: str) -> ApiProblem:
    return ApiProblem(401, "Unauthorized", detail, code=code)


def _read_headers() -> tuple[str, str, str]:
    key_id, ts, sig = (request.headers.get(h) for h in ("X-Partner-Key", "X-Timestamp",
                                                         "X-Signature"))
    if not key_id or not ts or not sig:
        raise _refused("Signed requests need X-Partner-Key, X-Timestamp and X-Signature.",
                       "signature_missing")
    if not TIMESTAMP.fullmatch(ts):
        raise _refused("X-Timestamp must be unix seconds (digits only).", "timestamp_invalid")
    if not KEY_ID.fullmatch(key_id) or not SIGNATURE.fullmatch(sig):
        raise _refused("The signature does not match this key and request.", "signature_invalid")
    return key_id, ts, sig.lower()


def _verify_partner(scope: str, replayable: bool) -> PartnerRef:
    key_id, ts, sig = _read_headers()
    max_skew = config().PARTNER_MAX_SKEW_S
    skew = abs(now().timestamp() - int(ts))
    if skew > max_skew:
        raise _refused(f"X-Timestamp is {int(skew)} s away from our clock "
                       f"(at most {max_skew} s allowed).", "timestamp_skew")
    partner = find_partner(uow(), key_id)
    if partner is None or not hmac.compare_digest(
            signature(partner.secret, ts, request.method, signed_target(),
                      request.get_data(cache=True)), sig):
        raise _refused("The signature does not match this key and request.", "signature_invalid")
    if scope not in partner.scopes:
        raise ApiProblem(403, "Forbidden", f"This key lacks the '{scope}' scope.",
                         code="missing_scope")
    if request.method not in SAFE_METHODS and not replayable:
        _use_once(partner, ts, sig, max_skew)
    return partner


def _use_once(partner: PartnerRef, ts: str, sig: str, max_skew: int) -> None:
    # The signature stays acceptable until its timestamp is max_skew seconds old.
    expires_at = datetime.fromtimestamp(int(ts), UTC) + timedelta(seconds=max_skew)
    if not use_signature(uow(), partner.id, sig, expires_at, now()):
        raise ApiProblem(409, "Replayed request",
                         "This signature was already used: a signed request acts once. Sign "
                         "each request, retries included, with a fresh X-Timestamp.",
                         code="replayed_signature")


def current_partner() -> PartnerRef:
    return g.partner


def partner_required(scope: str, replayable: bool = False):
    """A signed request from a key with `scope`. A state-changing request acts once per
    signature (409 replayed_signature after), unless the route is `replayable`: idempotent by
    its own keys, so that a retry of the same signed request answers again."""

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            g.partner = _verify_partner(scope, replayable)
            return fn(*args, **kwargs)

        return wrapper

    return decorator
