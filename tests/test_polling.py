"""Adaptive polling: the first poll aims at the expected finish, later ones back off, and
no wait is ever longer than the backend's poll interval."""

from __future__ import annotations

import time

import pytest

from takelab.backends import Backend, JobState, JobStatus
from takelab.backends.polling import LATENCIES, LatencyBook, PollSchedule
from takelab.sweep.take import wait_for_job


def test_without_evidence_waits_grow_by_half_up_to_the_ceiling() -> None:
    schedule = PollSchedule(ceiling_s=5.0)
    waits = [schedule.next_wait(t) for t in (0.0, 1.0, 2.5, 4.8, 8.0, 13.0)]
    assert waits == pytest.approx([1.0, 1.5, 2.25, 3.375, 5.0, 5.0])


def test_expected_finish_sets_the_first_wait_then_backs_off() -> None:
    schedule = PollSchedule(ceiling_s=10.0, expected_s=3.2)
    assert schedule.next_wait(0.1) == pytest.approx(3.1)
    assert schedule.next_wait(3.3) == pytest.approx(1.0)  # late: short waits again
    assert schedule.next_wait(4.3) == pytest.approx(1.5)


def test_provider_progress_estimates_what_is_left() -> None:
    schedule = PollSchedule(ceiling_s=10.0)
    assert schedule.next_wait(2.0, progress=0.25) == pytest.approx(6.0)
    assert schedule.next_wait(2.0, progress=0.8) == pytest.approx(0.5)


def test_waits_stay_between_floor_and_ceiling() -> None:
    assert PollSchedule(ceiling_s=2.0, expected_s=60.0).next_wait(0.0) == 2.0
    assert PollSchedule(ceiling_s=5.0).next_wait(1.0, progress=0.999) == 0.25
    assert PollSchedule(ceiling_s=0.0).next_wait(0.0) == 0.0  # previz polls memory


def test_latency_book_keeps_the_median_per_model() -> None:
    book = LatencyBook()
    assert book.expected("x:m") is None
    for s in (3.0, 9.0, 4.0):
        book.add("x:m", s)
    book.add("y:m", 100.0)
    assert book.expected("x:m") == 4.0


class _TimedJobs(Backend):
    """Jobs that finish `job_s` after submit; records every poll's time."""

    name = "timed-test"
    default_model = "m"
    poll_interval_s = 5.0
    job_s = 0.6

    def __init__(self) -> None:
        super().__init__()
        self.born: dict[str, float] = {}
        self.polls: list[float] = []

    def capabilities(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def price(self, request):  # type: ignore[no-untyped-def]
        return 0.0

    def submit(self, request):  # type: ignore[no-untyped-def]
        job = str(len(self.born))
        self.born[job] = time.monotonic()
        return job

    def poll(self, job_id: str) -> JobStatus:
        now = time.monotonic()
        self.polls.append(now - self.born[job_id])
        done = now - self.born[job_id] >= self.job_s
        return JobStatus(state=JobState.SUCCEEDED if done else JobState.RUNNING)

    def fetch(self, job_id, dest):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def test_a_later_job_is_polled_near_the_finish_learnt_from_earlier_ones() -> None:
    LATENCIES.clear()
    backend = _TimedJobs()
    first = wait_for_job(backend, backend.submit(None))
    assert first is not None and first.state is JobState.SUCCEEDED
    learnt = LATENCIES.expected(backend.spec)
    assert learnt is not None and learnt >= backend.job_s
    backend.polls.clear()
    second = wait_for_job(backend, backend.submit(None))
    assert second is not None and second.state is JobState.SUCCEEDED
    # Polled at once, then once near the learnt finish: two polls where a fixed 5 s
    # interval would also make two, but the second lands at ~0.6 s rather than 5 s.
    assert len(backend.polls) == 2
    assert backend.polls[1] < backend.poll_interval_s
