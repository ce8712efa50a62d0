"""Cooperative time bounds that work in any thread and any process.

`signal.alarm` only fires in the main thread of the main interpreter, so inside trainer threads,
Ray actors or pool workers it silently does nothing. Our verifiers instead carry a `Deadline` and
check it between bounded steps; work that cannot be checked cooperatively (sympy) runs in a
separate process that can be killed (see `_isolated`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


class DeadlineExceeded(Exception):
    """Raised inside a verifier when its time bound has passed; verifiers turn it into a verdict."""


@dataclass
class Deadline:
    seconds: float
    start: float = field(default_factory=time.perf_counter)

    @property
    def at(self) -> float:
        return self.start + self.seconds

    def remaining(self) -> float:
        return self.at - time.perf_counter()

    def expired(self) -> bool:
        return time.perf_counter() >= self.at

    def check(self) -> None:
        if time.perf_counter() >= self.at:
            raise DeadlineExceeded(f"time bound of {self.seconds:g}s exceeded")
