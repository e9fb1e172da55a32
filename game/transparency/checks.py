"""Pure checks of a stored log against its own hashes and published roots (what
`verify_chain` runs over the database, one entry at a time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from game.transparency.domain import GENESIS_HASH, chain_hash, log_record, merkle_root
from game.transparency.tree import merkle_levels, stored_nodes


@dataclass(frozen=True)
class StoredEntry:
    seq: int
    kind: str
    ref: str
    log_date: date
    created_at: datetime
    payload: dict
    prev_hash: str
    hash: str

    def record(self) -> dict:
        return log_record(self.seq, self.kind, self.ref, self.log_date, self.created_at,
                          self.payload)


@dataclass(frozen=True)
class StoredRoot:
    log_date: date
    root: str
    count: int
    first_seq: int
    last_seq: int


def entry_problems(entry: StoredEntry, previous: StoredEntry | None) -> list[str]:
    """What is wrong with `entry` as the successor of `previous` (None: the first entry)."""
    problems = []
    expected_seq = previous.seq + 1 if previous else 1
    if entry.seq != expected_seq:
        problems.append(f"entry {entry.seq} comes where entry {expected_seq} should: "
                        f"entries {expected_seq}..{entry.seq - 1} are missing")
    expected_prev = previous.hash if previous else GENESIS_HASH
    if entry.prev_hash != expected_prev:
        problems.append(f"entry {entry.seq}: prev_hash {entry.prev_hash} is not the hash of "
                        f"the entry before it ({expected_prev})")
    try:
        recomputed = chain_hash(entry.prev_hash, entry.record())
    except ValueError as exc:
        problems.append(f"entry {entry.seq}: its record cannot be hashed ({exc})")
    else:
        if recomputed != entry.hash:
            problems.append(f"entry {entry.seq} ({entry.kind} {entry.ref}): its content does "
                            f"not match its hash {entry.hash} (recomputed {recomputed})")
    if previous and entry.log_date < previous.log_date:
        problems.append(f"entry {entry.seq} is dated {entry.log_date}, before entry "
                        f"{previous.seq} ({previous.log_date})")
    return problems


def root_problems(root: StoredRoot, day: list[tuple[int, str]]) -> list[str]:
    """What is wrong with a published root, given the (seq, hash) of its day's entries now."""
    if not day:
        return [f"root of {root.log_date}: its {root.count} entries are gone from the log"]
    problems = []
    seqs = (len(day), day[0][0], day[-1][0])
    if seqs != (root.count, root.first_seq, root.last_seq):
        problems.append(f"root of {root.log_date}: published over {root.count} entries "
                        f"({root.first_seq}..{root.last_seq}), the log now holds {seqs[0]} "
                        f"({seqs[1]}..{seqs[2]})")
    recomputed = merkle_root([h for _, h in day])
    if recomputed != root.root:
        problems.append(f"root of {root.log_date}: published {root.root}, the day's entries "
                        f"now give {recomputed}")
    return problems


def node_problems(root: StoredRoot, day: list[tuple[int, str]],
                  stored: dict[tuple[int, int], str]) -> list[str]:
    """What is wrong with the stored tree nodes of a published day whose entries still give
    its root (when they do not, root_problems has said so and every node would differ)."""
    if not day:
        return []
    levels = merkle_levels([h for _, h in day])
    if levels[-1][0].hex() != root.root:
        return []
    expected = stored_nodes(levels)
    wrong = sorted(p for p in expected.keys() | stored.keys() if expected.get(p) != stored.get(p))
    if not wrong:
        return []
    shown = ", ".join(f"level {k} position {j}" for k, j in wrong[:5])
    more = ", ..." if len(wrong) > 5 else ""
    return [f"root of {root.log_date}: {len(wrong)} stored tree nodes do not match its entries "
            f"({shown}{more}); proofs served for that day would fail"]
