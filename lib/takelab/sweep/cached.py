"""A rerun whose every take is already made: one sweep run marked cached, nothing else.

A cached rerun creates no take run (each take has its one run, ever); its sweep run is
tagged `takelab.cached=true` and links to the take runs it covered (`takelab.take_runs`,
and a `run_id` column in `takes.csv`). `takelab sweep` checks this before starting a
kernel (`fully_cached`), so a cached rerun leaves no new executed notebook either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from takelab.journal.store import Journal, TakeState
from takelab.project.model import Project
from takelab.sweep.plan import plan
from takelab.tracking.tracker import CACHED_TAG, TAKE_RUNS_TAG

if TYPE_CHECKING:
    from takelab.sweep.result import SweepResult


def link_take_runs(result: SweepResult, journal: Journal) -> None:
    """Fill in each outcome's MLflow run id from the journal."""
    runs = {t.take_id: t.run_id for t in journal.takes(project=result.project)}
    for outcome in result.outcomes:
        outcome.run_id = runs.get(outcome.take_id) or outcome.run_id


def cached_tags(result: SweepResult) -> dict[str, str]:
    """The sweep run's tags saying it made nothing new, with the take runs it covered."""
    ran = [o for o in result.outcomes if o.status != "lint"]
    if not ran or any(o.status != "cached" for o in ran):
        return {}
    return {
        CACHED_TAG: "true",
        TAKE_RUNS_TAG: ",".join(o.run_id for o in ran if o.run_id),
    }


def fully_cached(
    project: Project,
    journal: Journal,
    *,
    shots: Sequence[str],
    variants: Sequence[str],
    backends: Sequence[str],
    seeds: int | Sequence[int],
) -> bool:
    """Whether every runnable take of this grid is done and logged already."""
    planned = [
        p
        for p in plan(project, shots=shots, variants=variants, backends=backends, seeds=seeds)
        if p.runnable
    ]
    if not planned:
        return False
    for p in planned:
        record = journal.get(p.request.take_id)
        if record is None or record.state is not TakeState.DONE or not record.logged:
            return False
    return True
