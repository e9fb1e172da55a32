"""Real concurrency for race tests (PostgreSQL): calls released together by one barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(calls: list[Callable[[], object]],
            expected: tuple[type[BaseException], ...] = (), timeout: float = 120) -> list:
    """Run each call in its own thread, all started at the same instant.

    Returns each call's result, or the exception it raised if that is one of `expected`
    (a rule refusal the race is meant to produce); any other exception fails the test."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    unexpected: list[BaseException] = []

    def run(i: int, call: Callable[[], object]) -> None:
        barrier.wait(timeout=timeout)
        try:
            results[i] = call()
        except expected as exc:
            results[i] = exc
        except Exception as exc:  # reported below: a thread must not die silently
            unexpected.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a racing call did not finish in time"
    assert not unexpected, unexpected
    return results
