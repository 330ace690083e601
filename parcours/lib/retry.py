"""When to try again a delivery that failed (SMTP relay down, mail server refusing).

Exponential back-off with "equal jitter" (AWS Architecture Blog, *Exponential Backoff And
Jitter*, 2015): the delay doubles with each attempt up to a cap, and half of it is random, so
that workers retrying after the same outage do not all knock at the same second.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta


def retry_delay(
    attempts: int, *, base: timedelta, cap: timedelta, rng: Callable[[], float] = random.random
) -> timedelta:
    """The wait before the next attempt, after ``attempts`` failed ones (1 or more).

    Returns a delay between half and all of ``min(cap, base × 2^(attempts − 1))``; ``rng``
    returns a float in [0, 1) (tests pass a fixed one). Raises nothing: ``attempts`` below 1
    counts as 1.
    """
    exponent = max(attempts, 1) - 1
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2 ** min(exponent, 32))
    return timedelta(seconds=ceiling / 2 + rng() * ceiling / 2)
