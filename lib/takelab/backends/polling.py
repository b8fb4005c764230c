"""When to poll a provider job: near its expected finish first, then backing off.

A fixed interval either wastes the provider's time (a 3 s job polled every 5 s is seen
done at 5 s) or its rate limit (polled every 0.2 s). The schedule here aims the next poll
at the job's expected finish, from the best evidence at hand:
1. how long this backend and model took for the takes that finished before it in this
   process (the median latency), until that time has passed;
2. the provider's own progress (`JobStatus.progress`): elapsed * (1 - p) / p left;
3. otherwise a short first wait that grows by half each time.
Every wait lies between `floor_s` and the backend's `poll_interval_s` (the ceiling, which
TAKELAB_POLL_INTERVAL_S still sets), so a stalled job is polled no more often than before
and a slow one no less.
"""

from __future__ import annotations

import statistics
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field

FLOOR_S = 0.25
FIRST_S = 1.0
GROWTH = 1.5
HISTORY = 16  # latencies kept per backend and model


class LatencyBook:
    """Seconds that finished jobs took, per backend and model (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=HISTORY))

    def add(self, key: str, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._seen[key].append(seconds)

    def expected(self, key: str) -> float | None:
        """The median latency seen for `key`, or None before any job finished."""
        with self._lock:
            seen = list(self._seen.get(key, ()))
        return statistics.median(seen) if seen else None

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


LATENCIES = LatencyBook()


@dataclass
class PollSchedule:
    """The waits between polls of one job; `next_wait` is called after each poll."""

    ceiling_s: float
    expected_s: float | None = None
    floor_s: float = FLOOR_S
    _step: float = field(default=FIRST_S, init=False)

    def next_wait(self, elapsed_s: float, progress: float | None = None) -> float:
        """Seconds to sleep before the next poll, `elapsed_s` after the job was created."""
        if self.ceiling_s <= self.floor_s:
            return max(self.ceiling_s, 0.0)
        if self.expected_s is not None and elapsed_s < self.expected_s:
            wait = self.expected_s - elapsed_s
        elif progress is not None and 0.0 < progress < 1.0 and elapsed_s > 0:
            wait = elapsed_s * (1.0 - progress) / progress
        else:  # past the expected finish, or no evidence: back off from a short wait
            wait = self._step
            self._step *= GROWTH
        return min(max(wait, self.floor_s), self.ceiling_s)
