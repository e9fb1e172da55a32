"""The public log's pure rules: canonical records, the chain, Merkle roots and proofs."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.transparency.checks import StoredEntry, StoredRoot, entry_problems, root_problems
from game.transparency.domain import (
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    inclusion_proof,
    leaf_hash,
    log_day,
    log_record,
    merkle_root,
    node_hash,
    verify_inclusion,
)

T0 = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


def entry_hashes(n: int) -> list[str]:
    return [hashlib.sha256(f"entry {i}".encode()).hexdigest() for i in range(n)]


def rfc6962_root(leaves: list[bytes]) -> bytes:
    """An independent definition: split at the largest power of two below n (RFC 6962 §2.1)."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(rfc6962_root(leaves[:k]), rfc6962_root(leaves[k:]))


def chain(n: int, day: date = T0.date()) -> list[StoredEntry]:
    entries, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        payload = {"certificate": f"CNP-2026-{seq:06d}", "photo_urls": ["https://x.org/a.jpg"]}
        record = log_record(seq, "certificate_issued", f"CNP-2026-{seq:06d}", day, T0, payload)
        h = chain_hash(prev, record)
        entries.append(StoredEntry(seq, "certificate_issued", f"CNP-2026-{seq:06d}", day, T0,
                                   payload, prev, h))
        prev = h
    return entries


def chain_problems(entries: list[StoredEntry]) -> list[str]:
    problems, previous = [], None
    for e in entries:
        problems += entry_problems(e, previous)
        previous = e
    return problems


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_unicode():
    assert canonical_json({"b": [1, {"d": None, "c": True}], "a": "梭梭"}) == \
        '{"a":"梭梭","b":[1,{"c":true,"d":null}]}'.encode()


@pytest.mark.parametrize("value", [{"lat": 39.5}, [1.0], {"x": float("nan")}, {1: "a"}])
def test_canonical_json_refuses_floats_and_non_string_keys(value):
    with pytest.raises(ValueError):
        canonical_json(value)


@pytest.mark.parametrize("n", range(1, 10))
def test_merkle_roots_of_one_to_nine_leaves_match_the_rfc6962_shape(n):
    hashes = entry_hashes(n)
    assert merkle_root(hashes) == rfc6962_root([leaf_hash(h) for h in hashes]).hex()


def test_an_odd_last_node_is_promoted_not_paired_with_itself():
    a, b, c = entry_hashes(3)
    assert merkle_root([a, b, c]) == node_hash(node_hash(leaf_hash(a), leaf_hash(b)),
                                               leaf_hash(c)).hex()
    assert merkle_root([a, b, c]) != merkle_root([a, b, c, c])


def test_a_single_leaf_is_hashed_as_a_leaf_so_it_never_equals_an_entry_hash():
    (a,) = entry_hashes(1)
    assert merkle_root([a]) == hashlib.sha256(b"\x00" + bytes.fromhex(a)).hexdigest() != a


def test_an_empty_day_has_no_root():
    with pytest.raises(ValueError):
        merkle_root([])


@pytest.mark.parametrize("n", [*range(1, 10), 16, 33])
def test_every_entry_of_a_day_has_a_proof_that_verifies(n):
    entries = chain(n)
    hashes = [e.hash for e in entries]
    root = merkle_root(hashes)
    for i, e in enumerate(entries):
        assert verify_inclusion(e.record(), inclusion_proof(e.prev_hash, hashes, i), root)


@given(st.integers(1, 70), st.data())
def test_proofs_verify_for_any_day_size_and_leaf(n, data):
    hashes = entry_hashes(n)
    i = data.draw(st.integers(0, n - 1))
    record = {"seq": i}
    prev = GENESIS_HASH
    hashes[i] = chain_hash(prev, record)
    assert verify_inclusion(record, inclusion_proof(prev, hashes, i), merkle_root(hashes))


def _day(n=7):
    entries = chain(n)
    hashes = [e.hash for e in entries]
    return entries, hashes, merkle_root(hashes)


def test_a_tampered_record_fails_its_proof():
    entries, hashes, root = _day()
    e = entries[3]
    proof = inclusion_proof(e.prev_hash, hashes, 3)
    tampered = e.record()
    tampered["payload"] = {**tampered["payload"], "photo_urls": ["https://x.org/b.jpg"]}
    assert not verify_inclusion(tampered, proof, root)
    assert not verify_inclusion({**e.record(), "seq": 5}, proof, root)


@pytest.mark.parametrize("tamper", [
    lambda p: {**p, "path": [p["path"][0][::-1], *p["path"][1:]]},
    lambda p: {**p, "path": p["path"][:-1]},
    lambda p: {**p, "path": [*p["path"], p["path"][0]]},
    lambda p: {**p, "leaf_index": p["leaf_index"] + 1},
    lambda p: {**p, "leaf_count": p["leaf_index"] + 1},
    lambda p: {**p, "leaf_count": p["leaf_index"]},
    lambda p: {**p, "prev_hash": GENESIS_HASH},
    lambda p: {**p, "leaf_index": -1},
    lambda p: {**p, "leaf_index": True},
    lambda p: {**p, "path": "not a list"},
    lambda p: {**p, "path": ["zz" * 32]},
    lambda p: {k: v for k, v in p.items() if k != "path"},
])
def test_a_tampered_or_malformed_proof_fails(tamper):
    entries, hashes, root = _day()
    proof = inclusion_proof(entries[2].prev_hash, hashes, 2)
    assert verify_inclusion(entries[2].record(), proof, root)
    assert not verify_inclusion(entries[2].record(), tamper(proof), root)


def test_a_proof_fails_against_another_days_root():
    entries, hashes, _ = _day()
    assert not verify_inclusion(entries[0].record(), inclusion_proof(GENESIS_HASH, hashes, 0),
                                merkle_root(hashes[:-1]))


def test_an_intact_chain_has_no_problems_and_each_link_names_the_previous_hash():
    entries = chain(5)
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert chain_problems(entries) == []


def test_an_edited_payload_breaks_its_own_hash():
    entries = chain(4)
    entries[2] = replace(entries[2], payload={**entries[2].payload, "certificate": "forged"})
    (problem,) = chain_problems(entries)
    assert "entry 3" in problem and "does not match its hash" in problem


def test_a_deleted_entry_breaks_the_sequence_and_the_link():
    entries = chain(4)
    problems = chain_problems(entries[:1] + entries[2:])
    assert any("entries 2..2 are missing" in p for p in problems)
    assert any("entry 3: prev_hash" in p for p in problems)


def test_a_rehashed_forgery_still_breaks_the_next_link():
    entries = chain(3)
    forged = replace(entries[1], payload={"certificate": "forged"})
    forged = replace(forged, hash=chain_hash(forged.prev_hash, forged.record()))
    (problem,) = chain_problems([entries[0], forged, entries[2]])
    assert problem.startswith("entry 3: prev_hash")


def test_a_root_is_checked_against_the_days_entries_as_they_are_now():
    entries, hashes, root = _day(5)
    stored = StoredRoot(T0.date(), root, 5, 1, 5)
    day = [(e.seq, e.hash) for e in entries]
    assert root_problems(stored, day) == []
    assert len(root_problems(stored, day[:-1])) == 2  # count and root
    assert "gone from the log" in root_problems(stored, [])[0]


def test_an_entry_joins_today_unless_its_day_is_behind_the_head_or_already_published():
    today = T0.date()
    assert log_day(T0, None, None) == today
    assert log_day(T0, today + timedelta(days=1), None) == today + timedelta(days=1)
    assert log_day(T0, today, today) == today + timedelta(days=1)
    assert log_day(T0, today - timedelta(days=3), today - timedelta(days=2)) == today
