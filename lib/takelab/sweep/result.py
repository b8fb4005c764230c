"""What a sweep did, as one typed value: `SweepResult`, with one `Outcome` per take.

It crosses the papermill boundary as JSON (the kernel writes it, `takelab sweep` reads it
back with `SweepResult.model_validate_json`), so the CLI, the notebook and the widgets see
the same object.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, model_validator

from takelab.errors import SweepIncomplete
from takelab.scrub import scrub
from takelab.status import COMPLETE, FAILED, TakeStatus

if TYPE_CHECKING:
    import pandas as pd

    from takelab.backends import TakeRequest

FAILED_STATES = FAILED
COMPLETE_STATES = COMPLETE
# The exit-code contract of `takelab sweep` (README "Security" and `takelab sweep --help`).
EXIT_COMPLETE = 0  # every take of the grid is done or cached
EXIT_INCOMPLETE = 3  # the sweep ran; some takes are not done (failed, pending, skipped...)


@dataclass
class Outcome:
    """How one take of a sweep ended, as the sweep summary shows it."""

    take_id: str
    shot: str
    variant: str
    backend: str
    seed: int
    status: TakeStatus  # a journal state, or cached, busy, lint, not-started, pending, error
    cost_usd: float = 0.0
    path: str | None = None
    message: str = ""
    logged: bool = False
    run_id: str | None = None  # the take's MLflow run, once logged (filled in at the end)

    def __post_init__(self) -> None:
        # Shown in the summary, takes.csv and the executed notebook: scrubbed once here.
        self.message = scrub(self.message)

    @classmethod
    def unrun(cls, req: TakeRequest, status: TakeStatus, message: str) -> Outcome:
        """A take that ended without running (stopped by lint, interrupted, a bug)."""
        return cls(
            req.take_id, req.shot, req.variant, req.backend_spec, req.seed, status, message=message
        )


class SweepResult(BaseModel):
    """What a sweep did: one outcome per take, the money spent and where to look."""

    project: str
    sweep_id: str
    sweep_run_id: str | None
    outcomes: list[Outcome]
    spend_usd: float
    budget_usd: float | None
    warnings: list[str] = []
    experiment_id: str | None = None
    interrupted: bool = False
    artifact_uri: str | None = None  # the sweep run's artifact location
    verdict: str = ""  # "complete" (every take done or cached) or "incomplete"; set here
    exit_code: int = EXIT_COMPLETE
    notebook: str | None = None  # the executed notebook; None when no kernel ran
    link: str | None = None  # the sweep run in the MLflow UI

    @model_validator(mode="after")
    def _settle(self) -> SweepResult:
        self.warnings = [scrub(w) for w in self.warnings]
        complete = not self.interrupted and all(o.status in COMPLETE_STATES for o in self.outcomes)
        self.verdict = "complete" if complete else "incomplete"
        self.exit_code = EXIT_COMPLETE if complete else EXIT_INCOMPLETE
        return self

    def check(self) -> None:
        """Raise SweepIncomplete unless every take is done or cached (the notebook's last
        cell calls this, so papermill callers see an incomplete sweep fail)."""
        if self.verdict != "complete":
            raise SweepIncomplete(f"the sweep is incomplete: {self.describe()}")

    @property
    def counts(self) -> Counter[str]:
        return Counter(o.status for o in self.outcomes)

    @property
    def metrics(self) -> dict[str, float]:
        c = self.counts
        return {
            "takes_total": float(len(self.outcomes)),
            "takes_new": float(c["done"]),
            "takes_cached": float(c["cached"]),
            "takes_failed": float(sum(c[s] for s in FAILED_STATES)),
            "takes_over_budget": float(c["over-budget"]),
            "takes_skipped": float(
                c["lint"] + c["not-started"] + c["busy"] + c["pending"] + c["error"]
            ),
            "spend_usd": round(self.spend_usd, 6),
        }

    @property
    def summary(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([asdict(o) for o in self.outcomes])

    def describe(self) -> str:
        c = self.counts
        parts = [f"{len(self.outcomes)} takes"]
        parts += [f"{n} {s}" for s, n in sorted(c.items())]
        money = f"spent ${self.spend_usd:.2f}"
        if self.budget_usd is not None:
            money += f" of ${self.budget_usd:.2f}"
        return ", ".join(parts) + f"; {money}"
