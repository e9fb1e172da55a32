"""The day's Merkle tree as stored at publication (pure): the nodes of levels >=
SUBTREE_LEVEL are kept, so that a proof reads one block of 2**SUBTREE_LEVEL entry hashes (the
leaf's subtree, recomputed) and one stored node per level above it, O(log n) reads instead of
the whole day. Node (k, j) is the root of leaves [j * 2**k, (j + 1) * 2**k) (fewer at the
day's end), so the block's own path and the stored siblings make the very path
domain.inclusion_path walks over the whole day."""

from __future__ import annotations

from game.transparency.domain import inclusion_path, leaf_hash, parent_level

# 16 leaves per block: a proof reads 16 entry hashes by seq range (one index range scan) and
# the stored nodes above them; a day stores about count/8 nodes (count/16 + count/32 + ...).
SUBTREE_LEVEL = 4
BLOCK = 1 << SUBTREE_LEVEL


def merkle_levels(entry_hashes: list[str]) -> list[list[bytes]]:
    """Every level of the day's tree, leaves first; the last level is [root]."""
    if not entry_hashes:
        raise ValueError("a Merkle tree needs at least one entry")
    levels = [[leaf_hash(h) for h in entry_hashes]]
    while len(levels[-1]) > 1:
        levels.append(parent_level(levels[-1]))
    return levels


def stored_nodes(levels: list[list[bytes]]) -> dict[tuple[int, int], str]:
    """The nodes kept at publication: (level, index) -> hex hash, for levels >= SUBTREE_LEVEL."""
    return {(k, j): node.hex() for k in range(SUBTREE_LEVEL, len(levels))
            for j, node in enumerate(levels[k])}


def block_range(index: int, count: int) -> tuple[int, int]:
    """Leaf indexes [start, end) of the block holding leaf `index` in a `count`-leaf tree."""
    start = index - index % BLOCK
    return start, min(start + BLOCK, count)


def upper_siblings(index: int, count: int) -> list[tuple[int, int]]:
    """(level, index) of the stored siblings on leaf `index`'s way from its block to the root;
    a level where the node is the last of an odd count has none (it is promoted)."""
    positions, k = [], SUBTREE_LEVEL
    size = (count + BLOCK - 1) >> SUBTREE_LEVEL
    while size > 1:
        sibling = (index >> k) ^ 1
        if sibling < size:
            positions.append((k, sibling))
        k, size = k + 1, (size + 1) // 2
    return positions


def proof_from_parts(prev_hash: str, index: int, count: int, block_hashes: list[str],
                     upper: list[str]) -> dict:
    """The same proof as inclusion_proof(prev_hash, day, index), from the entry hashes of
    leaf `index`'s block and the stored hashes at upper_siblings(index, count)."""
    start, _ = block_range(index, count)
    path = inclusion_path(block_hashes, index - start) + list(upper)
    return {"prev_hash": prev_hash, "leaf_index": index, "leaf_count": count, "path": path}
