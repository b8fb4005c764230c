"""Sweeps end to end on previz: takes on disk, MLflow contract, reruns, budgets, verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.review.sync import sync
from takelab.review.verdicts import record_verdict
from takelab.sweep.run import run_sweep
from takelab.tracking.tracker import TAKE_ARTIFACTS, Tracker, takes_frame

PARAMS = {
    "shot",
    "variant",
    "backend",
    "model",
    "seed",
    "duration_s",
    "aspect",
    "resolution",
    "prompt",
    "prompt_sha",
    "variant_hash",
    "prompt_file",
    "git_commit",
}
TAGS = {
    "takelab.kind",
    "takelab.take_id",
    "takelab.status",
    "takelab.verdict",
    "takelab.reasons",
    "takelab.lint",
    "takelab.sweep",
}


def take_runs(tracker: Tracker, project: str) -> list:  # type: ignore[type-arg]
    exp = tracker.client.get_experiment_by_name(project)
    assert exp is not None
    return list(tracker.client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'take'"))


def test_sweep_makes_takes_that_decode_and_follow_the_contract(project_file: Path) -> None:
    result = run_sweep(project_file, seeds=2, progress=False)
    assert result.metrics["takes_total"] == 8
    assert result.metrics["takes_new"] == 8, result.summary
    home = Home.from_env()
    for o in result.outcomes:
        assert o.path and Path(o.path).parent == home.take_dir(o.take_id)
        info = media.check_decodes(Path(o.path))
        assert abs(info.duration_s - 1.0) <= 1 / info.fps + 1e-6
        assert (info.width, info.height) == (854, 480)
        assert {p.name for p in Path(o.path).parent.iterdir()} == set(TAKE_ARTIFACTS)

    tracker = Tracker(home)
    exp = tracker.client.get_experiment_by_name("mini")
    assert exp is not None and exp.tags["mlflow.experimentKind"] == "custom_model_development"
    sweep_run = tracker.client.get_run(result.sweep_run_id)  # type: ignore[arg-type]
    assert sweep_run.data.tags["takelab.kind"] == "sweep"
    for m in ("takes_total", "takes_new", "takes_cached", "takes_failed", "spend_usd"):
        assert m in sweep_run.data.metrics
    assert "takes.csv" in {a.path for a in tracker.client.list_artifacts(result.sweep_run_id)}
    runs = take_runs(tracker, "mini")
    assert len(runs) == 8
    for run in runs:
        assert set(run.data.params) >= PARAMS
        assert set(run.data.tags) >= TAGS
        assert run.data.tags["mlflow.parentRunId"] == result.sweep_run_id
        assert run.data.tags["takelab.sweep"] == result.sweep_run_id
        assert run.data.tags["takelab.status"] == "done"
        assert run.data.tags["takelab.verdict"] == "unreviewed"
        assert {"cost_usd", "latency_s"} <= set(run.data.metrics)
        # Automatic quality metrics land with the take; the clip is 1 s at 854x480.
        assert {"sharpness", "flicker", "motion", "cuts", "conforms"} <= set(run.data.metrics)
        assert run.data.metrics["conforms"] == 1.0
        assert run.data.metrics["video_width"] == 854
        assert "takelab.flags" in run.data.tags
        arts = {a.path for a in tracker.client.list_artifacts(run.info.run_id)}
        assert set(TAKE_ARTIFACTS) <= arts


def test_rerun_reuses_every_take_and_spends_nothing(project_file: Path) -> None:
    first = run_sweep(project_file, seeds=1, backends=["priced"], progress=False)
    assert first.spend_usd == pytest.approx(0.4)
    home = Home.from_env()
    files = sorted(p for p in home.takes.rglob("*") if p.is_file())
    stamps = [p.stat().st_mtime_ns for p in files]
    second = run_sweep(project_file, seeds=1, backends=["priced"], progress=False)
    assert second.metrics["takes_cached"] == second.metrics["takes_total"] == 4
    assert second.spend_usd == 0 and second.metrics["spend_usd"] == 0
    assert sorted(p for p in home.takes.rglob("*") if p.is_file()) == files
    assert [p.stat().st_mtime_ns for p in files] == stamps
    assert len(take_runs(Tracker(home), "mini")) == 4


def test_a_fully_cached_rerun_records_one_cached_sweep_run_and_no_notebook(
    project_file: Path, tmp_path: Path
) -> None:
    import csv

    from takelab.sweep.notebook import run_sweep_notebook

    first = run_sweep(project_file, seeds=1, progress=False)
    home = Home.from_env()
    tracker = Tracker(home)
    runs = {r.data.tags["takelab.take_id"]: r.info.run_id for r in take_runs(tracker, "mini")}
    assert len(runs) == 4
    first_run = tracker.client.get_run(first.sweep_run_id or "")
    assert "takelab.cached" not in first_run.data.tags  # it made takes
    # `takelab sweep`'s path: nothing to run, so no kernel and no new notebook.
    summary = run_sweep_notebook(project_file, seeds=1, home=home)
    assert summary.notebook is None and not list(home.sweeps.glob("*.ipynb"))
    assert summary.metrics["takes_cached"] == 4 and summary.spend_usd == 0
    assert {r.data.tags["takelab.take_id"]: r.info.run_id for r in take_runs(tracker, "mini")} == (
        runs
    ), "a cached rerun creates no take run"
    cached = tracker.client.get_run(summary.sweep_run_id or "")
    assert cached.data.tags["takelab.kind"] == "sweep"
    assert cached.data.tags["takelab.cached"] == "true"
    assert sorted(cached.data.tags["takelab.take_runs"].split(",")) == sorted(runs.values())
    local = tracker.client.download_artifacts(cached.info.run_id, "takes.csv", str(tmp_path))
    with open(local) as fh:
        rows = list(csv.DictReader(fh))
    assert {row["take_id"]: row["run_id"] for row in rows} == runs
    sweeps = tracker.client.search_runs(
        [cached.info.experiment_id], "tags.`takelab.kind` = 'sweep'"
    )
    assert len(sweeps) == 2  # the first sweep and one cached sweep run


@pytest.mark.parametrize("concurrency", [1, 8])
def test_budget_is_never_exceeded(project_file: Path, concurrency: int) -> None:
    # 8 takes at $0.10 each; a $0.35 budget admits exactly 3.
    result = run_sweep(
        project_file,
        seeds=2,
        backends=["priced"],
        budget_usd=0.35,
        concurrency=concurrency,
        progress=False,
    )
    counts = result.counts
    assert counts["done"] == 3 and counts["over-budget"] == 5
    assert result.spend_usd <= 0.35
    journal = Journal(Home.from_env().journal)
    assert journal.spent(project="mini") <= 0.35
    over = journal.takes(states=[TakeState.OVER_BUDGET])
    assert len(over) == 5 and all(t.cost_usd in (None, 0) for t in over)
    statuses = [r.data.tags["takelab.status"] for r in take_runs(Tracker(), "mini")]
    assert statuses.count("over-budget") == 5


def test_verdict_updates_mlflow_and_keeps_history(project_file: Path) -> None:
    result = run_sweep(project_file, shots=["cat"], progress=False)
    take = result.outcomes[0].take_id
    record_verdict(take[:8], "accept")
    record_verdict(take[:8], "reject", ["static"], "nothing moves")
    tracker = Tracker()
    run_id = tracker.find_take_run("mini", take)
    assert run_id is not None
    run = tracker.client.get_run(run_id)
    assert run.data.tags["takelab.verdict"] == "reject"
    assert run.data.tags["takelab.reasons"] == "static"
    assert run.data.metrics["accepted"] == 0.0
    history = tracker.client.get_metric_history(run_id, "accepted")
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == [1.0, 0.0]
    frame = takes_frame("mini")
    row = frame[frame.take_id == take].iloc[0]
    assert row.verdict == "reject" and row.accepted == 0.0
    assert len(frame) == 2 and "link" in frame.columns


def test_mlflow_down_keeps_takes_in_the_journal_and_sync_logs_them(
    project_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    result = run_sweep(project_file, shots=["walk"], progress=False)
    assert result.counts["done"] == 2
    assert any("MLflow is unreachable" in w for w in result.warnings)
    journal = Journal(Home.from_env().journal)
    assert all(not t.logged for t in journal.takes())
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    report = sync()
    assert report.takes_logged == 2 and not report.errors
    assert len(take_runs(Tracker(), "mini")) == 2
    assert sync().takes_logged == 0  # nothing twice


# -- the typed boundary: SweepSpec in, SweepResult (or the same typed error) out ------------


def test_a_sweep_spec_is_checked_where_it_is_built_and_crosses_as_json(tmp_path: Path) -> None:
    from takelab.errors import UsageError
    from takelab.sweep import SweepSpec

    spec = SweepSpec(project_file=tmp_path / "p.yaml", seeds=(1, 3), budget_usd=2)
    again = SweepSpec.parse(spec.model_dump_json(), checked=True)
    assert again == spec and again.seeds == (1, 3) and again.budget_usd == 2.0
    for bad, words in [
        ({"budget_usd": True}, "budget_usd must be a number"),
        ({"budget_usd": -1}, "must not be negative"),
        ({"concurrency": 0}, "concurrency must be a whole number"),
        ({"executor": "dask"}, "unknown executor"),
        ({"ray_address": "h:1"}, "executor is not ray"),
        ({"seeds": "many"}, "sweep parameter seeds"),
        ({"color": "red"}, "sweep parameter color"),
        ({"backends": ["previz:sk-proj-" + "Zz09" * 8]}, "'backends' holds what looks like"),
    ]:
        with pytest.raises(UsageError, match=words) as info:
            SweepSpec.parse({"project_file": "p.yaml", **bad})
        assert "Zz09" not in str(info.value)


def test_an_error_raised_in_the_kernel_comes_back_as_the_same_type(
    project_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from takelab.errors import MissingKeyError, PromptFileError
    from takelab.sweep import SweepSpec
    from takelab.sweep.notebook import sweep_in_notebook
    from takelab.sweep.spec import RaisedError

    # A Path field, a line and a hint survive the trip as data.
    sent = PromptFileError(project_file, "bad shot", line=3, column=5, hint="fix it")
    back = RaisedError.model_validate_json(RaisedError.of(sent).model_dump_json()).rebuild()
    assert type(back) is PromptFileError and str(back) == str(sent)
    assert back.path == project_file and (back.line, back.column) == (3, 5)
    assert RaisedError.of(ValueError("a bug in a cell")).rebuild() is None  # not takelab's
    assert RaisedError(kind="os.system").rebuild() is None  # only takelab's own classes

    # The parent plans the grid; the kernel checks the backend's key and raises.
    monkeypatch.delenv("LUMAAI_API_KEY", raising=False)
    with pytest.raises(MissingKeyError) as info:
        sweep_in_notebook(SweepSpec(project_file=project_file, backends=("luma",)))
    assert info.value.variable == "LUMAAI_API_KEY" and info.value.exit_code == 2
    assert len(list(Home.from_env().sweeps.glob("*.ipynb"))) == 1  # the executed notebook


def test_a_launch_is_followed_through_its_events_and_stopped_by_its_stop_file(
    project_file: Path,
) -> None:
    from takelab.sweep import SweepSpec
    from takelab.sweep.launch import SweepLaunch

    spec = SweepSpec(project_file=project_file, seeds=1, concurrency=1)
    with SweepLaunch(spec, in_notebook=False).start() as launch:
        events = list(launch.events(poll_s=0.05))
        result = launch.result()
    assert events[0].total == 4
    assert sorted(e.take_id or "" for e in events[1:]) == sorted(o.take_id for o in result.outcomes)
    assert result.verdict == "complete" and result.notebook is None
    assert launch.files.progress_file is not None and not launch.files.progress_file.exists()

    # Asked to stop before it starts: no take is submitted, and nothing is paid twice.
    spec = SweepSpec(project_file=project_file, seeds=(2,), concurrency=1)
    launch = SweepLaunch(spec, in_notebook=False)
    launch.stop()
    with launch.start():
        launch.wait()
        stopped = launch.result()
    assert stopped.interrupted and stopped.exit_code == 3
    assert {o.status for o in stopped.outcomes} <= {"not-started", "done"}
