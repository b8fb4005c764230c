"""The life of one take (design.md): claim, reserve, submit, poll, fetch, check, settle, log.

Money rules live here: the job id is journalled before anything else, a create call that
may have reached the provider is never repeated, and a file is moved into
`takes/<take id>/` only once it is whole and decodes.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass, field

from takelab.backends import Backend, JobState, JobStatus, is_gone
from takelab.backends.polling import LATENCIES, PollSchedule
from takelab.errors import SubmitError, TakelabError, UnusableOutputError, VideoError
from takelab.home import Home
from takelab.journal import lost_jobs
from takelab.journal.store import Claim, Journal, TakeRecord, TakeState
from takelab.scrub import scrub
from takelab.settings import settings
from takelab.status import TakeStatus
from takelab.sweep.charges import PriceBook, book_charge
from takelab.sweep.landing import land
from takelab.sweep.plan import PlannedTake
from takelab.sweep.result import Outcome as Outcome  # callers import it from here
from takelab.sweep.tracking_setup import SweepTracking
from takelab.tracking.take_log import log_take
from takelab.tracking.tracker import Tracker

log = logging.getLogger(__name__)


@dataclass
class SweepContext:
    """What every take of one sweep shares."""

    home: Home
    journal: Journal
    tracking: SweepTracking
    sweep_id: str
    budget_usd: float | None
    project_budget_usd: float | None
    prompt_file: str
    git_commit: str | None
    git_dirty: bool | None = None  # the file had edits not in git_commit
    retry_failed: bool = False
    stop: threading.Event | None = None
    tracking_warned: bool = False
    prices: PriceBook = field(default_factory=PriceBook)  # the higher prices seen
    notes: list[str] = field(default_factory=list)  # warnings for the sweep's summary

    @property
    def tracker(self) -> Tracker | None:
        """MLflow's side of the sweep; waits for its set-up (sweep_tracking.py)."""
        return self.tracking.tracker

    @property
    def sweep_run_id(self) -> str | None:
        return self.tracking.sweep_run_id

    @property
    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()


def uncertain_hint(record: TakeRecord) -> str:
    """One line for an uncertain take: why, and the commands that settle it."""
    why = record.error_message or "its create call may have reached the provider"
    short = record.take_id[:10]
    return (
        f"{why}; not sent again, so as not to pay twice. Settle it with"
        f" `takelab resolve {short} --resubmit` (may pay up to ${record.reserved_usd:.2f}"
        f" again) or `--abandon` (books ${record.reserved_usd:.2f} as spent)"
    )


def _outcome(record: TakeRecord, status: TakeStatus, message: str = "") -> Outcome:
    if status == "uncertain" and not message:
        message = uncertain_hint(record)
    return Outcome(
        take_id=record.take_id,
        shot=record.shot,
        variant=record.variant,
        backend=f"{record.backend}:{record.model}",
        seed=record.seed,
        status=status,
        cost_usd=float(record.cost_usd or 0.0) if status is not TakeStatus.CACHED else 0.0,
        path=record.path,
        message=message or (record.error_message or ""),
    )


def run_take(planned: PlannedTake, ctx: SweepContext) -> Outcome:
    """Run one planned take to its end (or to its deadline, leaving it resumable)."""
    req = planned.request
    if not planned.runnable:
        reasons = [f"{f.rule}: {f.message}" for f in planned.blocked_by_lint] + planned.problems
        return Outcome.unrun(req, TakeStatus.LINT, "; ".join(reasons))
    if ctx.stopping:
        return Outcome.unrun(req, TakeStatus.NOT_STARTED, "interrupted before submitting")
    backend = planned.backend
    price = ctx.prices.reserve(req.backend_spec, backend.price(req))
    result = ctx.journal.claim(
        req,
        price,
        sweep_id=ctx.sweep_id,
        sweep_budget_usd=ctx.budget_usd,
        project_budget_usd=ctx.project_budget_usd,
        retry_failed=ctx.retry_failed,
        local=backend.runs_locally,
        meta={
            "lint": planned.lint_ids,
            "prompt_file": ctx.prompt_file,
            "git_commit": ctx.git_commit,
            "git_dirty": ctx.git_dirty,
            "sweep_run_id": ctx.tracking.sweep_run_id_now(),  # never waits for MLflow
        },
    )
    record = result.record
    assert record is not None
    if result.claim is Claim.CACHED:
        out = _outcome(record, TakeStatus.CACHED)
        if not record.logged and ctx.journal.claim_logging(record.take_id):
            out.logged = log_to_mlflow(ctx, record)
        return out
    if result.claim is Claim.BUSY:
        if ctx.journal.db.restricted and record.member != ctx.journal.member:
            return _outcome(
                record, TakeStatus.BUSY, f"{record.member}'s take: theirs to run or retry"
            )
        return _outcome(record, TakeStatus.BUSY, "another process is running this take")
    if result.claim is Claim.SETTLED:
        if record.state is TakeState.UNCERTAIN:
            found = _reconcile(backend, record, ctx)
            if found is not None:
                return _finish(backend, found, price, ctx, req.take_id)
            if ctx.journal.get(req.take_id) is None:  # released: nothing was created
                return run_take(planned, ctx)
        return _outcome(record, record.state)
    if result.claim is Claim.OVER_BUDGET:
        out = _outcome(
            record, TakeStatus.OVER_BUDGET, f"price ${price:.2f} does not fit the budget"
        )
        out.logged = log_to_mlflow(ctx, record)
        return out
    if result.claim is Claim.RESTART:
        # A local take whose process died (or that an older takelab left uncertain): run it
        # again from scratch, without what the dead attempt half wrote.
        _clean_partial(backend, record, ctx.home)
        log.info("take %s: its process died mid-take; running it again", req.take_id)
    if result.claim in (Claim.NEW, Claim.RESTART):
        if ctx.stopping:
            ctx.journal.release(req.take_id)
            return _outcome(record, TakeStatus.NOT_STARTED, "interrupted before submitting")
        job_id = _submit(backend, record, ctx)
        if job_id is None:
            record = _get(ctx, req.take_id)
            out = _outcome(record, record.state)
            out.logged = log_to_mlflow(ctx, record)
            return out
    else:
        job_id = record.job_id or ""
    return _finish(backend, job_id, price, ctx, req.take_id)


def _clean_partial(backend: Backend, record: TakeRecord, home: Home) -> None:
    """Remove what a dead attempt at a local take half wrote: the runner's scratch folders
    and the backend's own partial output."""
    for scratch in home.tmp.glob(f"{record.take_id}.*.part"):
        shutil.rmtree(scratch, ignore_errors=True)
    backend.discard(record.request)


def _get(ctx: SweepContext, take_id: str) -> TakeRecord:
    record = ctx.journal.get(take_id)
    assert record is not None
    return record


def _submit(backend: Backend, record: TakeRecord, ctx: SweepContext) -> str | None:
    take_id = record.take_id
    ctx.journal.mark_submitting(take_id)
    try:
        job_id = backend.submit(record.request)
    except SubmitError as exc:
        if exc.reached_provider and not exc.blocked:
            ctx.journal.mark_uncertain(take_id, str(exc))
        else:
            ctx.journal.settle(
                take_id,
                TakeState.BLOCKED if exc.blocked else TakeState.FAILED,
                cost_usd=0.0,
                error_code=exc.code or "rejected",
                error_message=str(exc),
            )
        return None
    except TakelabError as exc:
        # Backends raise their own errors (bad settings, key, SDK) before sending anything.
        ctx.journal.settle(
            take_id, TakeState.FAILED, cost_usd=0.0, error_code="not-sent", error_message=str(exc)
        )
        return None
    except BaseException as exc:
        if backend.runs_locally:
            # Nothing left this process, so no job can exist anywhere: never uncertain.
            if not isinstance(exc, Exception):  # interrupted: the next sweep runs it again
                ctx.journal.release(take_id, submitting=True)
                raise
            ctx.journal.settle(
                take_id,
                TakeState.FAILED,
                cost_usd=0.0,
                error_code="local-error",
                error_message=f"{type(exc).__name__}: {exc}",
            )
            return None
        # Unknown failure inside the create call: the job may exist. Never resubmit.
        ctx.journal.mark_uncertain(take_id, f"{type(exc).__name__}: {exc}")
        if not isinstance(exc, Exception):
            raise
        return None
    try:
        ctx.journal.record_job(take_id, job_id)
    except BaseException as exc:
        # A created, possibly charged job whose id the journal cannot hold (a full disk):
        # its id goes to stderr and the fallback file for `takelab doctor`, never nowhere.
        lost_jobs.save(ctx.home, record.request, job_id, record.reserved_usd, exc)
        raise
    return job_id


RECONCILE_GRACE_ENV = "TAKELAB_RECONCILE_GRACE_S"
RECONCILE_GRACE_S = 600.0  # a provider's job list may lag; only after this is "absent" trusted


def _reconcile(backend: Backend, record: TakeRecord, ctx: SweepContext) -> str | None:
    """Look for the job an uncertain take may have created.

    Among the provider's jobs that match what was sent, those already known to the journal
    belong to other takes (repeats send the same request). Exactly one unknown match is
    this take's job: attach it and resume. None at all, from a provider that lists every
    job and long enough after the attempt, means nothing was created: release the take so
    it is submitted afresh. Anything else stays uncertain for the user (`takelab resolve`).
    """
    if not backend.lists_jobs:
        return None
    attempted = record.submitted_at or record.updated_at
    try:
        found = backend.find_jobs(record.request, since=attempted - 120.0)
    except Exception as exc:  # listing failed: stay uncertain, never resubmit
        log.warning(
            "could not look for the job of uncertain take %s: %s", record.take_id, scrub(exc)
        )
        return None
    known = ctx.journal.job_ids(backend=record.backend)
    unknown = [job for job in found if job not in known]
    if len(unknown) == 1:
        ctx.journal.resolve_uncertain(record.take_id, job_id=unknown[0], created=True)
        log.info("uncertain take %s found as job %s; resuming it", record.take_id, unknown[0])
        return unknown[0]
    grace = settings().reconcile_grace_s
    if not unknown and time.time() - attempted >= grace:
        ctx.journal.resolve_uncertain(record.take_id, job_id=None, created=False)
        log.info("uncertain take %s has no job at the provider; it is released", record.take_id)
    return None


def wait_for_job(backend: Backend, job_id: str) -> JobStatus | None:
    """Poll until the job ends; None if it has not by the backend's deadline. Polls come
    near the job's expected finish, then back off (polling.py), never further apart than
    the backend's `poll_interval_s`."""
    started = time.monotonic()
    deadline = started + backend.deadline_s
    key = backend.spec
    schedule = PollSchedule(backend.poll_interval_s, expected_s=LATENCIES.expected(key))
    while True:
        status = backend.poll(job_id)
        now = time.monotonic()
        if status.state.terminal:
            if status.state is JobState.SUCCEEDED:
                LATENCIES.add(key, now - started)
            return status
        if now > deadline:
            return None
        schedule.ceiling_s = backend.poll_interval_s  # TAKELAB_POLL_INTERVAL_S, read each wait
        time.sleep(schedule.next_wait(now - started, status.progress))


def _finish(
    backend: Backend, job_id: str, price: float, ctx: SweepContext, take_id: str
) -> Outcome:
    started = time.monotonic()
    try:
        status = wait_for_job(backend, job_id)
    except Exception as exc:  # the provider stayed unreachable: the job id is kept
        return _outcome(
            _get(ctx, take_id),
            TakeStatus.PENDING,
            f"polling job {job_id} failed ({exc}); rerun resumes it",
        )
    record = _get(ctx, take_id)
    if status is None:
        return _outcome(
            record,
            TakeStatus.PENDING,
            f"job {job_id} not finished by the deadline; rerun resumes it",
        )
    latency = time.monotonic() - started
    if status.state is JobState.SUCCEEDED:
        charge = book_charge(ctx.prices, ctx.notes, backend, record, status.cost_usd, default=price)
        charged, charge_flags = charge.usd, [charge.flag] if charge.flag else []
        try:
            landed = land(backend, job_id, record, ctx.home)
        except VideoError as exc:  # what the provider made does not decode
            ctx.journal.settle(
                take_id,
                TakeState.FAILED,
                cost_usd=charged,
                latency_s=latency,
                error_code="bad-output",
                error_message=str(exc),
                flags=charge_flags,
            )
        except Exception as exc:
            if not is_gone(exc):  # a transient download failure: fetch again on rerun
                return _outcome(
                    record,
                    TakeStatus.PENDING,
                    f"downloading job {job_id} failed ({exc}); rerun resumes it",
                )
            # The output URL expired: it was paid for, and there is nothing to fetch again.
            ctx.journal.settle(
                take_id,
                TakeState.FAILED,
                cost_usd=charged,
                latency_s=latency,
                error_code="bad-url" if isinstance(exc, UnusableOutputError) else "output-expired",
                error_message=f"the output of job {job_id} could not be downloaded: {exc}",
                flags=charge_flags,
            )
        else:
            ctx.journal.settle(
                take_id,
                TakeState.DONE,
                cost_usd=charged,
                path=str(landed.path),
                sha256=landed.sha256,
                latency_s=latency,
                metrics=landed.metrics,
                flags=[*landed.flags, *charge_flags],
            )
    else:
        state = TakeState.BLOCKED if status.state is JobState.BLOCKED else TakeState.FAILED
        charge = book_charge(ctx.prices, ctx.notes, backend, record, status.cost_usd, default=0.0)
        ctx.journal.settle(
            take_id,
            state,
            cost_usd=charge.usd,
            error_code=status.error_code,
            error_message=status.error_message,
            latency_s=latency,
            flags=[charge.flag] if charge.flag else [],
        )
    record = _get(ctx, take_id)
    out = _outcome(record, record.state)
    out.logged = log_to_mlflow(ctx, record)
    return out


def log_to_mlflow(ctx: SweepContext, record: TakeRecord) -> bool:
    """Log a take to MLflow; if MLflow is unreachable the journal keeps it for `sync`."""
    if ctx.tracker is None:
        return False
    if record.sweep_run_id is None and ctx.sweep_run_id is not None:
        # Claimed before the sweep run existed (MLflow was still being set up).
        record = record.model_copy(update={"sweep_run_id": ctx.sweep_run_id})
    try:
        log_take(ctx.journal, ctx.tracker, record)
    except Exception as exc:  # MLflow down or misconfigured: the journal has it all
        if not ctx.tracking_warned:
            ctx.tracking_warned = True
            log.warning(
                "MLflow is unreachable (%s); `takelab sync` will log takes later", scrub(exc)
            )
        return False
    return True
