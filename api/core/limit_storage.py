"""The rate limiter's in-process counters (`canopy-memory://`): limits' MemoryStorage without
its expiry thread.

MemoryStorage starts a threading.Timer (a new thread) 10 ms after a hit whenever the previous
one has ended, and each of those threads walks every key it holds: under the 07:00 rush that
is up to a hundred thread starts a second per worker, each taking the GIL from the requests,
for work a counter does not need. A counter here expires when it is read (MemoryStorage.get
already drops an expired one), and the keys of clients that went quiet are swept inline, by
the request that finds the last sweep SWEEP_EVERY_S old, so that they cannot pile up.
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

SWEEP_EVERY_S = 10.0


class SweptMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["canopy-memory"]  # registered with limits by the class statement

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions, **options)
        self._sweep_lock = threading.Lock()
        self._next_sweep = time.time() + SWEEP_EVERY_S

    # MemoryStorage calls self.__schedule_expiry() on every hit (name-mangled to this name).
    # Wall-clock time, as MemoryStorage uses for expiry.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.time()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_EVERY_S
            self.sweep()
        finally:
            self._sweep_lock.release()

    def sweep(self) -> None:
        """Drop every expired counter (what the timer thread did)."""
        self._MemoryStorage__expire_events()  # type: ignore[attr-defined]  # MemoryStorage's
