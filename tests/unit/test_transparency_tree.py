"""The stored tree: a proof assembled from one block of entry hashes and the nodes kept at
publication is the very proof the whole day gives."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.transparency.domain import GENESIS_HASH, inclusion_proof, merkle_root
from game.transparency.tree import (
    BLOCK,
    block_range,
    merkle_levels,
    proof_from_parts,
    stored_nodes,
    upper_siblings,
)


def entry_hashes(n: int) -> list[str]:
    return [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]


def assembled(hashes: list[str], index: int) -> dict:
    nodes = stored_nodes(merkle_levels(hashes))
    start, end = block_range(index, len(hashes))
    upper = [nodes[p] for p in upper_siblings(index, len(hashes))]
    return proof_from_parts(GENESIS_HASH, index, len(hashes), hashes[start:end], upper)


@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 257])
def test_every_assembled_proof_equals_the_proof_over_the_whole_day(n):
    hashes = entry_hashes(n)
    for index in range(n):
        assert assembled(hashes, index) == inclusion_proof(GENESIS_HASH, hashes, index)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=3000), st.data())
def test_assembled_proofs_match_at_any_size_and_leaf(n, data):
    hashes = entry_hashes(n)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    assert assembled(hashes, index) == inclusion_proof(GENESIS_HASH, hashes, index)


def test_the_top_stored_level_is_the_root_and_small_days_store_at_most_the_root():
    hashes = entry_hashes(100)
    levels = merkle_levels(hashes)
    assert levels[-1][0].hex() == merkle_root(hashes)
    assert stored_nodes(merkle_levels(entry_hashes(BLOCK // 2))) == {}
    assert stored_nodes(merkle_levels(entry_hashes(BLOCK))) == {
        (4, 0): merkle_root(entry_hashes(BLOCK))}
    assert len(stored_nodes(levels)) == 7 + 4 + 2 + 1  # ceil(100/16), then halves up to 1


def test_a_day_of_a_hundred_thousand_needs_one_block_and_a_dozen_stored_nodes():
    count = 100_000
    assert block_range(99_999, count) == (99_984, 100_000)
    assert len(upper_siblings(50_000, count)) <= 13


def test_an_empty_day_has_no_tree():
    with pytest.raises(ValueError):
        merkle_levels([])
