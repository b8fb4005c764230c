"""Issue 5, item 3: budget under concurrency.

16 threads in this process and 4 spawned processes (each running several threads) reserve
takes against one project budget in one journal file, at random prices, over 50 seeded
random trials. The journal must never admit more than the budget, must use it (every take
it turned away would have overshot it), must report as spent exactly what it admitted,
and no "database is locked" may reach a caller. Ten trials run at a time, each against
its own journal file with all its threads and processes.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from takelab.backends import TakeRequest
from takelab.journal.store import Claim, Journal, TakeState

TRIALS = 50
MAIN_THREADS = 16
PROCESSES = 4
THREADS_PER_PROCESS = 4
WAVE = 10  # trials run at once, each against its own journal file
SEED = 20_251_124

# (take key, price) pairs one claimant reserves, in order.
Jobs = list[tuple[str, float]]


def _request(project: str, key: str) -> TakeRequest:
    return TakeRequest(
        project=project,
        shot="shot",
        variant="v1",
        prompt=f"take {key}",
        backend="priced",
        model="tenth",
        duration_s=4.0,
        aspect="16:9",
        resolution="720p",
        seed=1,
    )


# One trial's part for one process: journal path, project, budget, a queue of claims per
# thread, and when the threads start.
Task = tuple[str, str, float, list[Jobs], float]
# Per task: the (take key, claim) pairs it got, and the errors that escaped Journal.claim.
TaskResult = tuple[list[tuple[str, str]], list[str]]


def claim_in_threads(tasks: list[Task]) -> list[TaskResult]:
    """Run every share of every task in its own thread, each from its task's start time."""
    out: list[TaskResult] = [([], []) for _ in tasks]
    lock = threading.Lock()

    def work(task: int, journal: Journal, project: str, budget: float, share: Jobs) -> None:
        time.sleep(max(0.0, tasks[task][4] - time.time()))
        results, errors = out[task]
        for key, price in share:
            try:
                res = journal.claim(
                    _request(project, key),
                    price,
                    sweep_id=f"sweep-{threading.get_ident()}",
                    project_budget_usd=budget,
                )
            except Exception as exc:  # must never happen: collected and asserted on
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                results.append((key, str(res.claim)))

    threads = []
    for i, (path, project, budget, shares, _) in enumerate(tasks):
        journal = Journal(path)
        threads += [
            threading.Thread(target=work, args=(i, journal, project, budget, share))
            for share in shares
        ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def serve(inbox: Connection) -> None:
    """A worker process: runs the tasks it is sent until it gets None."""
    while (tasks := inbox.recv()) is not None:
        inbox.send(claim_in_threads(tasks))


@dataclass
class Trial:
    project: str
    budget: float
    prices: dict[str, float]
    shares: list[Jobs]  # MAIN_THREADS + PROCESSES * THREADS_PER_PROCESS claimant queues


def make_trial(rng: random.Random, n: int) -> Trial:
    """Random prices, and a budget of 30-70 % of what is asked for. A fifth of the claims
    are for takes another claimant also asks for (the same id at the same price)."""
    claimants = MAIN_THREADS + PROCESSES * THREADS_PER_PROCESS
    per_claimant = rng.randint(1, 2)
    total = claimants * per_claimant
    shared = [f"shared-{i}" for i in range(max(2, total // 10))]
    prices = {k: round(rng.uniform(0.01, 0.9), 2) for k in shared}
    shares: list[Jobs] = []
    for c in range(claimants):
        share: Jobs = []
        for j in range(per_claimant):
            key = rng.choice(shared) if rng.random() < 0.2 else f"own-{c}-{j}"
            prices.setdefault(key, round(rng.uniform(0.01, 0.9), 2))
            share.append((key, prices[key]))
        shares.append(share)
    asked = sum(prices[k] for k in {k for s in shares for k, _ in s})
    budget = round(asked * rng.uniform(0.3, 0.7), 2)
    return Trial(f"trial-{n}", budget, prices, shares)


@pytest.fixture(scope="module")
def workers() -> Iterator[list[Connection]]:
    """Four spawned processes, started once and fed a wave of trials at a time."""
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    for _ in range(PROCESSES):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=serve, args=(child,), daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    yield pipes
    for pipe in pipes:
        pipe.send(None)
    for proc in procs:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()


def task(journal: Journal, trial: Trial, lo: int, hi: int, start_at: float) -> Task:
    """The part of a trial that claimants `lo` to `hi` (exclusive) run."""
    return (str(journal.path), trial.project, trial.budget, trial.shares[lo:hi], start_at)


def check_trial(n: int, trial: Trial, journal: Journal, outcomes: list[TaskResult]) -> float:
    """Assert the budget held in one trial; return the money it admitted."""
    results = [r for res, _ in outcomes for r in res]
    errors = [e for _, errs in outcomes for e in errs]
    assert not errors, f"trial {n}: errors escaped Journal.claim: {errors[:3]}"
    assert len(results) == sum(len(s) for s in trial.shares)
    # A shared take that another live process holds is "busy": not admitted twice.
    assert {c for _, c in results} <= {Claim.NEW, Claim.OVER_BUDGET, Claim.BUSY}, results
    admitted = {k for k, c in results if c == Claim.NEW}
    refused = {k for k, c in results if c == Claim.OVER_BUDGET} - admitted
    admitted_usd = sum(trial.prices[k] for k in admitted)

    assert admitted_usd <= trial.budget + 1e-9, (n, admitted_usd, trial.budget)
    assert journal.spent(project=trial.project) == pytest.approx(admitted_usd, abs=1e-9)
    rows = {t.request.prompt.removeprefix("take "): t for t in journal.takes()}
    assert {k for k, t in rows.items() if t.state is TakeState.RESERVED} == admitted
    assert {k for k, t in rows.items() if t.state is TakeState.OVER_BUDGET} == refused
    assert set(rows) == admitted | refused
    # The budget was used: every take turned away would have overshot it.
    assert refused, f"trial {n} asked for too little to test the ceiling"
    for key in refused:
        assert admitted_usd + trial.prices[key] > trial.budget - 1e-9, (n, key)
    return admitted_usd


@pytest.mark.faults
def test_concurrent_reservations_never_exceed_the_budget(
    workers: list[Connection], tmp_path: Path
) -> None:
    # Waiting on SQLite's lock is mostly sleeping, so a few trials (each in its own journal,
    # each with all its threads and processes) run at once to keep the test short.
    rng = random.Random(SEED)
    trials = [make_trial(rng, n) for n in range(TRIALS)]
    overshoot = 0.0
    claims = admitted = 0
    for wave in range(0, TRIALS, WAVE):
        numbers = range(wave, min(wave + WAVE, TRIALS))
        journals = {n: Journal(tmp_path / f"journal-{n}.sqlite") for n in numbers}
        start_at = time.time() + 0.1
        for i, pipe in enumerate(workers):
            lo = MAIN_THREADS + i * THREADS_PER_PROCESS
            hi = lo + THREADS_PER_PROCESS
            pipe.send([task(journals[n], trials[n], lo, hi, start_at) for n in numbers])
        mine = claim_in_threads(
            [task(journals[n], trials[n], 0, MAIN_THREADS, start_at) for n in numbers]
        )
        theirs = [pipe.recv() for pipe in workers]
        for k, n in enumerate(numbers):
            outcomes = [mine[k], *(t[k] for t in theirs)]
            admitted_usd = check_trial(n, trials[n], journals[n], outcomes)
            overshoot = max(overshoot, admitted_usd - trials[n].budget)
            claims += sum(len(res) for res, _ in outcomes)
            admitted += len({key for res, _ in outcomes for key, c in res if c == Claim.NEW})

    print(
        f"\nbudget under concurrency: {TRIALS} trials, {claims} claims from "
        f"{MAIN_THREADS} threads + {PROCESSES} processes x {THREADS_PER_PROCESS} threads each, "
        f"{admitted} admitted; overshoot found: ${overshoot:.6f}"
    )
    assert overshoot <= 1e-9
