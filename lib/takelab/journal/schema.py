"""The journal's schema: numbered migrations, take states and the records it returns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from takelab.backends import TakeRequest


class TakeState(StrEnum):
    RESERVED = "reserved"  # price reserved, nothing sent yet
    SUBMITTING = "submitting"  # about to call submit: a crash here leaves it uncertain
    SUBMITTED = "submitted"  # job id stored; resumable by polling
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"
    OVER_BUDGET = "over-budget"
    UNCERTAIN = "uncertain"  # the create call may have reached the provider

    @property
    def active(self) -> bool:
        return self in (TakeState.RESERVED, TakeState.SUBMITTING, TakeState.SUBMITTED)


# States whose reserved money stays spent until settled or resolved by the user.
HOLDING = (
    TakeState.RESERVED,
    TakeState.SUBMITTING,
    TakeState.SUBMITTED,
    TakeState.UNCERTAIN,
)

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE takes (
        take_id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        shot TEXT NOT NULL,
        variant TEXT NOT NULL,
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        seed INTEGER NOT NULL,
        request_json TEXT NOT NULL,
        state TEXT NOT NULL,
        job_id TEXT,
        reserved_usd REAL NOT NULL DEFAULT 0,
        cost_usd REAL,
        path TEXT,
        sha256 TEXT,
        error_code TEXT,
        error_message TEXT,
        latency_s REAL,
        sweep_id TEXT,
        sweep_run_id TEXT,
        run_id TEXT,
        logged INTEGER NOT NULL DEFAULT 0,
        lint TEXT NOT NULL DEFAULT '',
        prompt_file TEXT,
        git_commit TEXT,
        metrics_json TEXT,
        owner TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        submitted_at REAL
    );
    CREATE INDEX takes_project ON takes(project);
    CREATE INDEX takes_sweep ON takes(sweep_id);
    CREATE TABLE verdicts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        take_id TEXT NOT NULL REFERENCES takes(take_id),
        verdict TEXT NOT NULL,
        reasons TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        logged INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX verdicts_take ON verdicts(take_id);
    CREATE TABLE sweeps (
        sweep_id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        budget_usd REAL,
        run_id TEXT,
        status TEXT NOT NULL,
        params_json TEXT NOT NULL DEFAULT '{}',
        started_at REAL NOT NULL,
        finished_at REAL
    );
    """,
    # 2: sweeps remember their process, so one killed mid-run is found and closed later.
    """
    ALTER TABLE sweeps ADD COLUMN owner TEXT;
    """,
    # 3: automatic quality flags of a take (static, blurry, ...), next to its metrics.
    """
    ALTER TABLE takes ADD COLUMN flags TEXT NOT NULL DEFAULT '';
    """,
    # 4 (issue 15): whether the project file differed from the recorded commit when the
    # take was made (NULL: not known, e.g. outside git or before this migration), and
    # pairwise preferences between two takes ("a", "b" or "same").
    """
    ALTER TABLE takes ADD COLUMN git_dirty INTEGER;
    CREATE TABLE preferences (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project TEXT NOT NULL,
        take_a TEXT NOT NULL REFERENCES takes(take_id),
        take_b TEXT NOT NULL REFERENCES takes(take_id),
        winner TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        reviewer TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        logged INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX preferences_project ON preferences(project);
    """,
    # 5 (issue 20): team members and an append-only ledger of charges. Every take, verdict and sweep
    # names the member who made it; money actually spent is a row in `charges` (written by
    # a trigger when a take's cost is set, see journal_triggers), so resetting a take's
    # cost cannot give money back; `budgets` holds a team's per-project budget (admin).
    """
    ALTER TABLE takes ADD COLUMN member TEXT;
    ALTER TABLE verdicts ADD COLUMN member TEXT;
    ALTER TABLE sweeps ADD COLUMN member TEXT;
    CREATE TABLE charges (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        take_id TEXT NOT NULL,
        project TEXT NOT NULL,
        sweep_id TEXT,
        member TEXT,
        amount_usd REAL NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX charges_project ON charges(project);
    CREATE INDEX charges_sweep ON charges(sweep_id);
    CREATE TABLE budgets (
        project TEXT PRIMARY KEY,
        budget_usd REAL NOT NULL,
        set_at REAL NOT NULL
    );
    INSERT INTO charges (take_id, project, sweep_id, member, amount_usd, created_at)
        SELECT take_id, project, sweep_id, member, cost_usd, updated_at FROM takes
        WHERE cost_usd IS NOT NULL AND cost_usd <> 0;
    UPDATE takes SET reserved_usd = 0
        WHERE state NOT IN ('reserved', 'submitting', 'submitted', 'uncertain')
    """,
)


class TakeRecord(BaseModel):
    """One row of the journal: a take and what became of it."""

    take_id: str
    project: str
    shot: str
    variant: str
    backend: str
    model: str
    seed: int
    request: TakeRequest
    state: TakeState
    job_id: str | None = None
    reserved_usd: float = 0.0
    cost_usd: float | None = None
    path: str | None = None
    sha256: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    latency_s: float | None = None
    sweep_id: str | None = None
    sweep_run_id: str | None = None
    run_id: str | None = None
    logged: bool = False
    lint: list[str] = []
    prompt_file: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None  # the file differed from git_commit; None if unknown
    metrics: dict[str, float] = {}
    flags: list[str] = []
    owner: str | None = None
    member: str | None = None  # the team member who made it (PostgreSQL's login)
    submitted_at: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def version(self) -> str:
        """The variant's version this take was made from: the hash of its content and
        every setting that changes the output (`Variant.hash`)."""
        return self.request.variant_hash


class VerdictRecord(BaseModel):
    """One verdict given to a take; every change is kept."""

    id: int
    take_id: str
    verdict: str
    reasons: list[str]
    note: str
    created_at: float
    logged: bool
    member: str | None = None  # the reviewer (a team journal's login)


WINNERS = ("a", "b", "same")


class PreferenceRecord(BaseModel):
    """One side-by-side judgement: take A or take B is better, or they are the same."""

    id: int
    project: str
    take_a: str
    take_b: str
    winner: str  # "a", "b" or "same"
    reason: str
    reviewer: str
    created_at: float
    logged: bool


class Claim(StrEnum):
    """What `claim` decided for a take."""

    NEW = "new"  # reserved now: submit it
    RESUME = "resume"  # a job id exists: poll it
    CACHED = "cached"  # finished before: reuse, cost 0
    BUSY = "busy"  # another live process owns it
    OVER_BUDGET = "over-budget"
    SETTLED = "settled"  # failed, blocked or uncertain before: left as is
    RESTART = "restart"  # a local take whose process died: reserved again, run from scratch


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    record: TakeRecord | None
