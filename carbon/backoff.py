"""Exponential backoff with jitter, for a worker that waits on work another worker holds."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Each wait is twice the last, from `first_s` up to `max_s`; jitter draws it between half
    and all of that, so that waiting workers do not wake in step. `sleep` and `random` are
    inputs so that tests do not sleep."""

    first_s: float = 0.05
    max_s: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random
    _next_s: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.reset()

    def wait(self) -> float:
        """Sleep the next delay and return it."""
        delay = self._next_s * (0.5 + self.random() / 2)
        self.sleep(delay)
        self._next_s = min(self._next_s * 2, self.max_s)
        return delay

    def reset(self) -> None:
        """Progress was made: the next wait is short again."""
        self._next_s = self.first_s
