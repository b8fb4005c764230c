"""One status vocabulary for a take: `TakeStatus`, and the moves between its values.

A take's status is seen in four places, all spelled with these values (the strings stored
in the journal and MLflow are unchanged):

- the journal's `takes.state` (`JOURNAL`);
- the provider's job while the take is submitted (`JOB`, in `JobStatus.state`);
- MLflow's `takelab.status` tag (`TAG`; a take in flight is tagged `running`);
- a sweep's outcome for the take (`OUTCOME`: the journal's state, or what the sweep did
  instead of running it: cached, busy, lint, not-started, pending, error).

The journal's moves (`TRANSITIONS`; a take without a row is "new"):

| from        | to                                                                 |
| ----------- | ------------------------------------------------------------------ |
| new         | reserved (the price fits), over-budget (it does not); done, failed,|
|             | blocked (adopted or rebuilt by `takelab doctor`)                   |
| reserved    | submitting; released (the row goes)                                |
| submitting  | submitted (job id stored), done (a local model ran), uncertain     |
|             | (the create call may have reached the provider), failed, blocked   |
|             | (refused); released                                                |
| submitted   | done, failed, blocked (the job ended)                              |
| uncertain   | submitted (its job was found), failed (booked as spent); released  |
| failed      | reserved or over-budget (retried with --retry-failed)              |
| over-budget | reserved or over-budget (claimed again)                            |
| done        | nothing: final (a rerun is `cached`)                               |
| blocked     | nothing: final (moderation refused the prompt)                     |

A take whose owner died while reserved, or a local take whose process died in any state
in flight, is claimed again: reserved or over-budget.

A verdict (accept or reject, a person's judgement) and quality flags (`static`,
`blurry`, ...; metric providers add their own, so they stay an open set of names) are
separate concepts and never a status.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Literal, get_args


class TakeStatus(StrEnum):
    """Every status a take has (see the module docstring for where each one is seen)."""

    # the journal's states
    RESERVED = "reserved"  # price reserved, nothing sent yet
    SUBMITTING = "submitting"  # about to call submit: a crash here leaves it uncertain
    SUBMITTED = "submitted"  # job id stored; resumable by polling
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"  # moderation refused it
    OVER_BUDGET = "over-budget"
    UNCERTAIN = "uncertain"  # the create call may have reached the provider
    # the provider job's own states (and MLflow's tag for a take in flight)
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    # what a sweep did with a take instead of running it
    CACHED = "cached"  # finished before: reused, cost 0
    BUSY = "busy"  # another live process (or member) owns it
    LINT = "lint"  # stopped by a lint error
    NOT_STARTED = "not-started"  # the sweep was interrupted first
    PENDING = "pending"  # submitted, not finished this time: a rerun resumes it
    ERROR = "error"  # an unexpected error in takelab itself

    @property
    def active(self) -> bool:
        """A journal state whose take is in flight (held by a live process)."""
        return self in IN_FLIGHT

    @property
    def terminal(self) -> bool:
        """A provider job that has ended."""
        return self in (TakeStatus.SUCCEEDED, TakeStatus.FAILED, TakeStatus.BLOCKED)


IN_FLIGHT = frozenset({TakeStatus.RESERVED, TakeStatus.SUBMITTING, TakeStatus.SUBMITTED})
JOURNAL = frozenset(
    {
        *IN_FLIGHT,
        TakeStatus.DONE,
        TakeStatus.FAILED,
        TakeStatus.BLOCKED,
        TakeStatus.OVER_BUDGET,
        TakeStatus.UNCERTAIN,
    }
)
JOB = frozenset(
    {
        TakeStatus.QUEUED,
        TakeStatus.RUNNING,
        TakeStatus.SUCCEEDED,
        TakeStatus.FAILED,
        TakeStatus.BLOCKED,
    }
)
TAG = (JOURNAL - IN_FLIGHT) | {TakeStatus.RUNNING}
OUTCOME = JOURNAL | {
    TakeStatus.CACHED,
    TakeStatus.BUSY,
    TakeStatus.LINT,
    TakeStatus.NOT_STARTED,
    TakeStatus.PENDING,
    TakeStatus.ERROR,
}
# Settled: the take ran to an end (a sweep counts failed, blocked and uncertain as failed).
FAILED = (TakeStatus.FAILED, TakeStatus.BLOCKED, TakeStatus.UNCERTAIN)
COMPLETE = (TakeStatus.DONE, TakeStatus.CACHED)

NEW = None  # a take with no journal row
_CLAIMED = frozenset({TakeStatus.RESERVED, TakeStatus.OVER_BUDGET})
_ENDED = frozenset({TakeStatus.DONE, TakeStatus.FAILED, TakeStatus.BLOCKED})
TRANSITIONS: Mapping[TakeStatus | None, frozenset[TakeStatus | None]] = {
    NEW: _CLAIMED | _ENDED,
    TakeStatus.RESERVED: _CLAIMED | {TakeStatus.SUBMITTING, NEW},
    TakeStatus.SUBMITTING: _CLAIMED | _ENDED | {TakeStatus.SUBMITTED, TakeStatus.UNCERTAIN, NEW},
    TakeStatus.SUBMITTED: _CLAIMED | _ENDED,
    TakeStatus.UNCERTAIN: _CLAIMED | {TakeStatus.SUBMITTED, TakeStatus.FAILED, NEW},
    TakeStatus.FAILED: _CLAIMED,
    TakeStatus.OVER_BUDGET: _CLAIMED,
    TakeStatus.DONE: frozenset(),
    TakeStatus.BLOCKED: frozenset(),
}


def allowed(before: TakeStatus | None, after: TakeStatus | None) -> bool:
    """Whether the journal may move a take from `before` to `after` (None: no row)."""
    return before == after or after in TRANSITIONS.get(before, frozenset())


def tag_status(state: TakeStatus) -> TakeStatus:
    """MLflow's `takelab.status` tag for a journal state: a take in flight is `running`."""
    return TakeStatus.RUNNING if state in IN_FLIGHT else state


Verdict = Literal["accept", "reject"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)

__all__ = [
    "COMPLETE",
    "FAILED",
    "IN_FLIGHT",
    "JOB",
    "JOURNAL",
    "OUTCOME",
    "TAG",
    "TRANSITIONS",
    "VERDICTS",
    "TakeStatus",
    "Verdict",
    "allowed",
    "tag_status",
]
