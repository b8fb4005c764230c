"""Everything that talks to MLflow: experiments, sweep runs, one run per take, verdicts,
and `takes_frame` for pandas.

The names here are a contract (design.md, "MLflow contract", kept in names.py): outside
tools and the comparison UI rely on them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from takelab.home import Home
from takelab.journal.store import PreferenceRecord, TakeRecord, TakeState, VerdictRecord
from takelab.scrub import scrub
from takelab.settings import settings
from takelab.tracking.frame import FRAME_COLUMNS, search_take_runs
from takelab.tracking.names import (
    CACHED_TAG,
    EXPERIMENT_KIND,
    EXPERIMENT_KIND_TAG,
    KIND_TAG,
    MEMBER_TAG,
    PARAM_LIMIT,
    PROJECT_TAG,
    TAG_LIMIT,
    TAKE_ARTIFACTS,
    TAKE_RUNS_TAG,
    preference_counts,
    quiet_mlflow,
    request_json,
    run_link,
    run_name,
    short_version,
    take_params,
    take_status,
    ui_url,
    verdict_tags,
)

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient

# Callers import the contract's names from here too (they lived here first).
__all__ = [
    "CACHED_TAG",
    "EXPERIMENT_KIND",
    "EXPERIMENT_KIND_TAG",
    "FRAME_COLUMNS",
    "KIND_TAG",
    "MEMBER_TAG",
    "PARAM_LIMIT",
    "PROJECT_TAG",
    "TAG_LIMIT",
    "TAKE_ARTIFACTS",
    "TAKE_RUNS_TAG",
    "Tracker",
    "preference_counts",
    "quiet_mlflow",
    "request_json",
    "run_link",
    "run_name",
    "short_version",
    "take_params",
    "take_status",
    "takes_frame",
    "ui_url",
    "verdict_tags",
]


class Tracker:
    """A thin, typed layer over MlflowClient bound to one store."""

    def __init__(self, home: Home | None = None) -> None:
        self.home = home or Home.from_env()
        self.uri = self.home.tracking_uri
        self._client: MlflowClient | None = None
        self._experiments: dict[str, str] = {}

    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            quiet_mlflow()
            from mlflow import MlflowClient

            if not self.own_store:
                self._client = MlflowClient(tracking_uri=self.uri)
                return self._client
            from takelab.tracking.store import diagnose, ensure_store

            # MLflow would create (and migrate) a missing store in place, where a crash
            # leaves it half-made for good: takelab makes it whole first, atomically.
            ensure_store(self.home)
            client = MlflowClient(tracking_uri=self.uri)
            try:
                client.search_experiments(max_results=1)  # opens (and checks) the store now
            except Exception as exc:
                raise (diagnose(self.home, exc) or exc) from None
            self._client = client
        return self._client

    @property
    def local(self) -> bool:
        return self.uri.startswith("sqlite:")

    def check(self, *, down_ok: bool = False) -> None:
        """Raise one TakelabError if MLflow refuses this login or (unless `down_ok`) does
        not answer."""
        from takelab.tracking.errors import refused, unreachable

        if self.local:
            return
        try:
            self.client.search_experiments(max_results=1)
        except Exception as exc:
            denied = refused(exc)
            if denied is not None:
                raise denied from None
            if not down_ok:
                raise unreachable(exc) from None

    @property
    def member(self) -> str | None:
        """The team member logging here (MLflow's login); None for the local store."""
        return None if self.local else settings().mlflow_tracking_username or None

    def experiment_name(self, project: str) -> str:
        """The project's experiment, or on a team server the member's experiment of it:
        MLflow grants per experiment, and a member may change only their own runs."""
        return project if self.member is None else f"{project}/{self.member}"

    def project_experiments(self, project: str) -> list[str]:
        """Ids of the project's experiments: its own, and every member's on a team server."""
        found = self.client.search_experiments(filter_string=f"tags.`{PROJECT_TAG}` = '{project}'")
        ids = [e.experiment_id for e in found]
        exp = self.client.get_experiment_by_name(project)
        if exp is not None and exp.experiment_id not in ids:
            ids.append(exp.experiment_id)
        return ids

    @property
    def own_store(self) -> bool:
        """Whether tracking goes to TAKELAB_HOME's own SQLite store (not a server)."""
        return self.uri == f"sqlite:///{self.home.mlflow_db}"

    def experiment_id(self, project: str) -> str:
        """The project's experiment, created on first use and tagged for the classic UI."""
        if project in self._experiments:
            return self._experiments[project]
        name = self.experiment_name(project)
        exp = self.client.get_experiment_by_name(name)
        if exp is None:
            location = (self.home.artifacts / project).as_uri() if self.local else None
            tags = {EXPERIMENT_KIND_TAG: EXPERIMENT_KIND, PROJECT_TAG: project}
            if self.member is not None:
                tags[MEMBER_TAG] = self.member
            try:
                exp_id = self.client.create_experiment(name, artifact_location=location, tags=tags)
            except Exception:
                # Another process created it first.
                exp = self.client.get_experiment_by_name(name)
                if exp is None:
                    raise
                exp_id = exp.experiment_id
        else:
            exp_id = exp.experiment_id
            if exp.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
                self.client.set_experiment_tag(exp_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
        self._experiments[project] = exp_id
        return exp_id

    # -- sweeps --------------------------------------------------------------------------

    def start_sweep(
        self, project: str, *, name: str, params: Mapping[str, Any], tags: Mapping[str, str]
    ) -> str:
        """Create the sweep's parent run and return its id."""
        from mlflow.entities import Param, RunTag

        exp_id = self.experiment_id(project)
        run = self.client.create_run(exp_id, run_name=name, tags={KIND_TAG: "sweep", **dict(tags)})
        self.client.log_batch(
            run.info.run_id,
            params=[Param(k, str(v)[:PARAM_LIMIT]) for k, v in params.items()],
            tags=[RunTag("takelab.sweep_id", str(tags.get("takelab.sweep_id", "")))],
        )
        return str(run.info.run_id)

    def finish_sweep(
        self,
        run_id: str,
        *,
        metrics: Mapping[str, float],
        artifacts: Iterable[Path] = (),
        status: str = "FINISHED",
        tags: Mapping[str, str] | None = None,
    ) -> None:
        from mlflow.entities import Metric, RunTag

        now = int(time.time() * 1000)
        self.client.log_batch(
            run_id,
            metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()],
            tags=[RunTag(k, v[:TAG_LIMIT]) for k, v in (tags or {}).items()],
        )
        for path in artifacts:
            self.client.log_artifact(run_id, str(path))
        self.client.set_terminated(run_id, status)

    def fail_sweep_runs(self, sweep_id: str, run_id: str | None) -> None:
        """Mark a dead sweep's run failed; found by its tag when the process died before
        the journal learnt the run id."""
        run_ids = {run_id} if run_id else set()
        if not run_ids:
            exp_ids = [e.experiment_id for e in self.client.search_experiments()]
            for run in self.client.search_runs(
                exp_ids, f"tags.`takelab.sweep_id` = '{sweep_id}'", max_results=10
            ):
                run_ids.add(run.info.run_id)
        for rid in run_ids:
            if self.client.get_run(rid).info.status == "RUNNING":
                self.client.set_terminated(rid, "FAILED")

    def log_sweep_artifact(self, run_id: str, path: Path) -> None:
        self.client.log_artifact(run_id, str(path))

    # -- takes ---------------------------------------------------------------------------

    def find_take_run(self, project: str, take_id: str) -> str | None:
        """The run of this take id, if one exists (there is at most one, ever)."""
        runs = self.client.search_runs(
            [self.experiment_id(project)],
            filter_string=f"tags.`takelab.take_id` = '{take_id}'",
            max_results=1,
        )
        return str(runs[0].info.run_id) if runs else None

    def log_take(
        self,
        record: TakeRecord,
        *,
        take_dir: Path | None = None,
        verdict: VerdictRecord | None = None,
        bind: Callable[[str], str] | None = None,
    ) -> str:
        """Create or update the one run of this take, with every contract name.

        `bind(new_run_id)` (the journal's `bind_run`) settles which run is the take's when
        two processes create one at once: the loser deletes its own and logs to the other."""
        from mlflow.entities import Metric, Param, RunTag

        req = record.request
        run_id = record.run_id or self.find_take_run(req.project, record.take_id)
        now = int(time.time() * 1000)
        tags = {
            KIND_TAG: "take",
            "takelab.take_id": record.take_id,
            "takelab.status": take_status(record.state),
            "takelab.lint": ",".join(record.lint),
            "takelab.sweep": record.sweep_run_id or "",
            "takelab.flags": ",".join(record.flags),
            "takelab.version": req.variant_hash,
            **verdict_tags(verdict),
        }
        if record.member:  # a team journal's member who made the take
            tags[MEMBER_TAG] = record.member
        if record.error_code or record.error_message:
            error = f"{record.error_code or ''}: {record.error_message or ''}"
            tags["takelab.error"] = scrub(error)[:PARAM_LIMIT]  # shared with the whole team
        metrics: dict[str, float] = {"cost_usd": float(record.cost_usd or 0.0)}
        if record.latency_s is not None:
            metrics["latency_s"] = record.latency_s
        metrics.update(record.metrics)
        if verdict is not None:
            metrics["accepted"] = 1.0 if verdict.verdict == "accept" else 0.0
        new = run_id is None
        if run_id is None:
            run_tags = {"mlflow.runName": run_name(record)}
            if record.sweep_run_id:
                run_tags["mlflow.parentRunId"] = record.sweep_run_id
            run = self.client.create_run(self.experiment_id(req.project), tags={**run_tags, **tags})
            run_id = str(run.info.run_id)
            if bind is not None and (bound := bind(run_id)) != run_id:
                self.client.delete_run(run_id)
                run_id, new = bound, False
        params = take_params(record)
        if not new:
            # An earlier attempt may have died between creating the run and logging to it;
            # params are immutable, so only the missing ones are added.
            have = self.client.get_run(run_id).data.params
            params = {k: v for k, v in params.items() if k not in have}
        self.client.log_batch(
            run_id,
            metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[] if new else [RunTag(k, v) for k, v in tags.items()],
        )
        if take_dir is not None and take_dir.is_dir():
            self.client.log_artifacts(run_id, str(take_dir))
        status = "FINISHED" if record.state is TakeState.DONE else "FAILED"
        if record.state.active:
            status = "RUNNING"
        if status != "RUNNING":
            self.client.set_terminated(run_id, status)
        return run_id

    def log_verdict(self, run_id: str, verdict: VerdictRecord, step: int) -> None:
        """Set the verdict tags and append to the `accepted` metric's history."""
        from mlflow.entities import Metric, RunTag

        accepted = 1.0 if verdict.verdict == "accept" else 0.0
        self.client.log_batch(
            run_id,
            metrics=[Metric("accepted", accepted, int(verdict.created_at * 1000), step)],
            tags=[RunTag(k, v) for k, v in verdict_tags(verdict).items()],
        )

    def log_preference(
        self,
        preference: PreferenceRecord,
        runs: Mapping[str, str],
        counts: Mapping[str, Mapping[str, float]],
    ) -> None:
        """Put a preference on both takes' runs: the running wins / losses / ties metrics
        (step = the preference's id) and a tag naming the latest comparison."""
        from mlflow.entities import Metric, RunTag

        stamp = int(preference.created_at * 1000)
        for take_id, run_id in runs.items():
            other = preference.take_b if take_id == preference.take_a else preference.take_a
            side = "a" if take_id == preference.take_a else "b"
            outcome = (
                "same"
                if preference.winner == "same"
                else ("won" if preference.winner == side else "lost")
            )
            total = sum(counts[take_id].values())
            self.client.log_batch(
                run_id,
                metrics=[Metric(k, v, stamp, preference.id) for k, v in counts[take_id].items()],
                tags=[
                    RunTag("takelab.preferences", str(int(total))),
                    RunTag(
                        "takelab.last_preference",
                        f"{outcome} vs {other}"
                        + (f": {preference.reason}" if preference.reason else ""),
                    ),
                ],
            )

    # -- reading -------------------------------------------------------------------------

    def take_runs_frame(self, project: str | None = None) -> pd.DataFrame:
        """One row per take run: params, metrics and tags flattened to columns."""
        if project is not None:
            exp_ids = self.project_experiments(project)
        else:
            exp_ids = [e.experiment_id for e in self.client.search_experiments()]
        return search_take_runs(self.uri, exp_ids)


def takes_frame(project: str | None = None, *, home: Home | None = None) -> pd.DataFrame:
    """A DataFrame with one row per take of `project` (all projects if None), from MLflow."""
    return Tracker(home).take_runs_frame(project)
