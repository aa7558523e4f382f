"""Retry policy: a few immediate tries, then exponential backoff with jitter."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    immediate: int = 2  # retries right after a failure
    delayed: int = 3  # retries after a growing delay
    base_delay: float = 2.0  # seconds before the first delayed retry
    factor: float = 4.0
    max_delay: float = 300.0
    jitter: float = 0.2  # +/- fraction of the delay, so retries do not stampede

    def __post_init__(self):
        if self.immediate < 0 or self.delayed < 0:
            raise ValueError("retry counts cannot be negative")
        if self.base_delay < 0 or self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("base_delay >= 0, factor >= 1 and 0 <= jitter < 1 are required")

    @property
    def max_attempts(self) -> int:
        return 1 + self.immediate + self.delayed

    def delay_after(self, attempt: int, rng: random.Random = random._inst) -> float | None:
        """Seconds to wait before the attempt after ``attempt``; None when exhausted."""
        if attempt >= self.max_attempts:
            return None
        if attempt <= self.immediate:
            return 0.0
        step = attempt - self.immediate - 1
        delay = min(self.base_delay * self.factor**step, self.max_delay)
        return delay * (1 + rng.uniform(-self.jitter, self.jitter))


DEFAULT_POLICY = RetryPolicy()
