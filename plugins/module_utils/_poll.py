# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""The one poller: a monotonic deadline, growing jittered sleeps, and attempts bounded by both."""

from __future__ import annotations

import random
import time
from typing import Callable, Iterator, Optional


class DeadlineExceeded(Exception):
    """poll_until gave up at the deadline."""

    def __init__(self, attempts: int) -> None:
        super().__init__("deadline passed after {0} attempts".format(attempts))
        self.attempts = attempts


def backoff_delays(
    interval: float,
    max_interval: float,
    factor: float = 1.5,
    jitter: float = 0.2,
    rng: Optional[Callable[[float, float], float]] = None,
) -> Iterator[float]:
    """Yield sleeps growing by factor up to max_interval, each spread by +-jitter."""
    uniform = rng or random.uniform
    base = interval
    while True:
        yield max(0.0, base * uniform(1.0 - jitter, 1.0 + jitter))
        base = min(base * factor, max_interval)


class Deadline:
    """A monotonic deadline; remaining() never goes below zero."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.start = clock()
        self.end = self.start + seconds

    def remaining(self) -> float:
        return max(0.0, self.end - self.clock())

    def elapsed(self) -> float:
        return self.clock() - self.start


def poll_until(
    attempt: Callable[[float], bool],
    deadline: Deadline,
    delays: Iterator[float],
    request_timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Call attempt(timeout) until it returns True or the deadline passes; return the attempt count.

    The last attempt happens at the deadline, and no attempt or sleep runs past it.
    """
    attempts = 0
    while True:
        attempts += 1
        # a floor keeps the final attempt meaningful without overrunning the deadline noticeably
        if attempt(max(0.1, min(request_timeout, deadline.remaining()))):
            return attempts
        remaining = deadline.remaining()
        if remaining <= 0:
            raise DeadlineExceeded(attempts)
        sleep(min(next(delays), remaining))
