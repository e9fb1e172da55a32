"""Pure rules of the public log: canonical records, the hash chain, daily Merkle trees and
inclusion proofs that anyone can check offline with nothing but this module (or its ~40 lines
ported to another language).

- A record is a JSON object of strings, integers, booleans, null, lists and objects (no floats:
  their text form is not canonical). Its canonical form is UTF-8 JSON with keys sorted and no
  whitespace, which is the RFC 8785 (JCS) form for such values.
- Chain: hash_n = SHA-256(bytes(prev_hash) || canonical(record_n)), hash_0's prev is 32 zero bytes.
- Merkle tree over one UTC day's entry hashes, in seq order: leaf = SHA-256(0x00 || entry hash),
  inner = SHA-256(0x01 || left || right) (domain separation: a leaf can never pass for an inner
  node). A level with an odd number of nodes promotes its last node unchanged to the next level
  (it is not paired with a copy of itself, so two different lists never share a root).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

# What is logged (kind: ref): a certificate issued on a confirmed planting (its number), a
# rejected planting order (the order id), a donation record confirmed by its charity (its id),
# a duty certificate exchanged for tree certificates (its number).
CERTIFICATE_ISSUED = "certificate_issued"
DUTY_CERTIFICATE_ISSUED = "duty_certificate_issued"
PLANTING_REJECTED = "planting_rejected"
DONATION_CONFIRMED = "donation_confirmed"

GENESIS_HASH = "00" * 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HEX_DIGITS = frozenset("0123456789abcdef")


def canonical_json(value: object) -> bytes:
    _refuse_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _refuse_floats(value: object) -> None:
    if isinstance(value, float):
        raise ValueError("floats have no canonical form; log integers (e.g. micro-degrees)")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError("object keys must be strings")
            _refuse_floats(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _refuse_floats(v)


def timestamp(instant: datetime) -> str:
    """One fixed text form for instants in records (UTC, microseconds, 'Z')."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def log_record(seq: int, kind: str, ref: str, log_date: date, created_at: datetime,
               payload: dict) -> dict:
    """What is hashed: the payload and everything that places it in the log."""
    return {"seq": seq, "kind": kind, "ref": ref, "log_date": log_date.isoformat(),
            "created_at": timestamp(created_at), "payload": payload}


def log_day(now: datetime, head_day: date | None, last_published_day: date | None) -> date:
    """The UTC day an entry appended at `now` belongs to. Never before the chain head's day (days
    follow seq order, so each day is one contiguous run of entries) and never a day whose root
    is already published (a late writer's entry goes to the next day, not outside every root)."""
    day = now.astimezone(UTC).date()
    if head_day is not None:
        day = max(day, head_day)
    if last_published_day is not None:
        day = max(day, last_published_day + timedelta(days=1))
    return day


def chain_hash(prev_hash: str, record: dict) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(record)).hexdigest()


def leaf_hash(entry_hash: str) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + bytes.fromhex(entry_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def parent_level(level: list[bytes]) -> list[bytes]:
    parents = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    return parents + [level[-1]] if len(level) % 2 else parents


def merkle_root(entry_hashes: list[str]) -> str:
    if not entry_hashes:
        raise ValueError("a Merkle root needs at least one entry")
    level = [leaf_hash(h) for h in entry_hashes]
    while len(level) > 1:
        level = parent_level(level)
    return level[0].hex()



def inclusion_path(entry_hashes: list[str], index: int) -> list[str]:
    """The sibling hashes from leaf `index` up to the root (promoted levels add none)."""
    if not 0 <= index < len(entry_hashes):
        raise ValueError("leaf index outside the tree")
    level, path = [leaf_hash(h) for h in entry_hashes], []
    while len(level) > 1:
        if index ^ 1 < len(level):
            path.append(level[index ^ 1].hex())
        level, index = parent_level(level), index // 2
    return path


def inclusion_proof(prev_hash: str, day_hashes: list[str], index: int) -> dict:
    return {"prev_hash": prev_hash, "leaf_index": index, "leaf_count": len(day_hashes),
            "path": inclusion_path(day_hashes, index)}


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX_DIGITS


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_inclusion(record: dict, proof: dict, root: str) -> bool:
    """True when `record`, chained after proof['prev_hash'], is leaf proof['leaf_index'] of the
    proof['leaf_count']-leaf tree whose root is `root`. Malformed input is simply False.
    Several tree sizes can share one path shape, so a reader also compares leaf_count with the
    count published beside the root."""
    try:
        prev, index, count, path = (proof["prev_hash"], proof["leaf_index"],
                                    proof["leaf_count"], proof["path"])
        if not (_is_hash(prev) and _is_hash(root) and _is_index(index) and _is_index(count)
                and index < count and isinstance(path, list) and all(map(_is_hash, path))):
            return False
        node, steps = leaf_hash(chain_hash(prev, record)), iter(path)
    except (KeyError, TypeError, ValueError):
        return False
    while count > 1:
        if index % 2 or index + 1 < count:  # a sibling at this level; else promoted as is
            sibling = next(steps, None)
            if sibling is None:
                return False
            sib = bytes.fromhex(sibling)
            node = node_hash(sib, node) if index % 2 else node_hash(node, sib)
        index, count = index // 2, (count + 1) // 2
    return next(steps, None) is None and node.hex() == root
