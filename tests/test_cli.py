"""The `takelab` command as a user types it: exit codes, formats, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def takelab(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "takelab", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr


def test_lint_json_lists_findings_with_the_contract_keys(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(
        "project: p\nshots:\n  - id: s\n    variants:\n"
        "      - id: v\n        prompt: a photo of a chair\n"
    )
    proc = takelab("lint", str(f), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    findings = json.loads(proc.stdout)
    assert findings and all(
        set(x)
        == {"shot", "variant", "rule", "severity", "message", "fix", "evidence", "file", "line"}
        for x in findings
    )
    assert {"no-motion", "no-camera", "no-lighting"} <= {x["rule"] for x in findings}


def test_lint_exits_1_on_an_error_finding(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(
        "project: p\nshots:\n  - id: s\n    variants:\n      - id: v\n"
        "        prompt: Barack Obama waves from a stage, slow dolly in, warm spotlight, 5 s\n"
    )
    proc = takelab("lint", str(f))
    assert proc.returncode == 1
    assert "public-figure" in proc.stdout
    no_traceback(proc)


def test_lint_too_long_for_a_backend(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(
        "project: p\nshots:\n  - id: s\n    variants:\n      - id: v\n"
        "        prompt: a cat walks across a sunlit room, slow pan left\n"
        "        duration: 90\n"
    )
    assert takelab("lint", str(f)).returncode == 0
    proc = takelab("lint", str(f), "--backend", "previz", "--format", "json")
    assert proc.returncode == 1
    assert "too-long" in {x["rule"] for x in json.loads(proc.stdout)}


@pytest.mark.parametrize(
    "args",
    [
        ["lint", "missing.yaml"],
        ["sweep", "missing.yaml"],
        ["estimate", "missing.yaml"],
    ],
)
def test_bad_file_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    proc = takelab(*args, cwd=tmp_path)
    assert proc.returncode == 2
    no_traceback(proc)
    assert "missing.yaml" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["lint", "prompts/tokyo-rain.yaml", "--backend", "nosuch"],
        ["estimate", "prompts/tokyo-rain.yaml", "--backend", "previz:nosuch"],
        ["sweep", "prompts/tokyo-rain.yaml", "--shot", "nosuch"],
        ["sweep", "prompts/tokyo-rain.yaml", "--variant", "noslash"],
        ["sweep", "prompts/tokyo-rain.yaml", "--budget", "-1"],
        ["sweep", "prompts/tokyo-rain.yaml", "--seeds", "0"],
        ["verdict", "abc123", "accept"],
        ["verdict", "abc123", "maybe"],
        ["takes", "--format", "xml"],
        ["nosuchcommand"],
    ],
)
def test_user_errors_never_show_a_traceback(args: list[str]) -> None:
    proc = takelab(*args)
    assert proc.returncode in (1, 2), proc.stdout + proc.stderr
    no_traceback(proc)
    assert proc.stderr.strip()


def test_estimate_prices_every_backend() -> None:
    proc = takelab(
        "estimate",
        "prompts/tokyo-rain.yaml",
        "--backend",
        "previz",
        "--backend",
        "priced",
        "--seeds",
        "3",
    )
    assert proc.returncode == 0, proc.stderr
    assert "previz:animatic" in proc.stdout and "priced:tenth" in proc.stdout
    assert "total worst case" in proc.stdout


def test_backends_lists_previz_with_capabilities() -> None:
    proc = takelab("backends", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["previz"]["default_model"] == "animatic"
    assert "16:9" in rows["previz"]["aspects"]


def test_sweep_cli_runs_the_notebook_then_reruns_for_free(project_file: Path) -> None:
    """The demo's path: papermill sweep, executed notebook kept, rerun all cached."""
    from takelab.home import Home
    from takelab.tracking.tracker import Tracker

    proc = takelab("sweep", str(project_file), "--seeds", "2", "--concurrency", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "8 done" in proc.stdout
    home = Home.from_env()
    notebooks = list(home.sweeps.glob("*-mini.ipynb"))
    assert len(notebooks) == 1
    nb = json.loads(notebooks[0].read_text())
    assert any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    files = sorted(home.takes.rglob("*.mp4"))
    assert len(files) == 8

    again = takelab("sweep", str(project_file), "--seeds", "2")
    assert again.returncode == 0, again.stderr
    assert "8 cached" in again.stdout and "spent $0.00" in again.stdout
    assert sorted(home.takes.rglob("*.mp4")) == files
    tracker = Tracker(home)
    exp = tracker.client.get_experiment_by_name("mini")
    assert exp is not None
    sweeps = tracker.client.search_runs(
        [exp.experiment_id], "tags.`takelab.kind` = 'sweep'", order_by=["start_time DESC"]
    )
    assert len(sweeps) == 2
    latest = sweeps[0]
    assert latest.data.metrics["takes_cached"] == latest.data.metrics["takes_total"] == 8
    assert latest.data.metrics["spend_usd"] == 0
    # All cached: one sweep run marked so, no kernel and no new notebook (issue 13).
    assert latest.data.tags["takelab.cached"] == "true"
    assert "no kernel was started" in again.stdout
    assert list(home.sweeps.glob("*-mini.ipynb")) == notebooks
    artifacts = {a.path for a in tracker.client.list_artifacts(latest.info.run_id)}
    assert "takes.csv" in artifacts and not any(p.endswith(".ipynb") for p in artifacts)
    first = {a.path for a in tracker.client.list_artifacts(sweeps[1].info.run_id)}
    assert any(p.endswith(".ipynb") for p in first)
    takes_ = tracker.client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'take'")
    assert len(takes_) == 8

    listed = takelab("takes", "--project", "mini", "--format", "json")
    rows = json.loads(listed.stdout)
    assert len(rows) == 8
    victim = rows[0]["take_id"]
    v = takelab("verdict", victim[:10], "reject", "--reason", "static", "--note", "flat")
    assert v.returncode == 0, v.stderr
    rows = json.loads(takelab("takes", "--format", "json").stdout)
    row = next(r for r in rows if r["take_id"] == victim)
    assert row["verdict"] == "reject" and row["reasons"] == "static"
    csv_out = takelab("takes", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("take_id,")
    run_id = tracker.find_take_run("mini", victim)
    assert run_id is not None
    run = tracker.client.get_run(run_id)
    assert run.data.tags["takelab.verdict"] == "reject" and run.data.metrics["accepted"] == 0


# -- versions, diff, prefer, rank (issue 15) ----------------------------------------------


def test_versions_diff_prefer_and_rank(project_file: Path, takelab_home: Path) -> None:
    from takelab.home import Home
    from takelab.sweep.run import run_sweep
    from takelab.tracking.tracker import Tracker

    home = Home(takelab_home)
    old = run_sweep(project_file, variants=["cat/v2"], seeds=2, progress=False, home=home)
    text = project_file.read_text()
    project_file.write_text(text.replace("cat jumps onto", "cat leaps onto"))
    new = run_sweep(project_file, variants=["cat/v2"], seeds=2, progress=False, home=home)
    old_ids = [o.take_id for o in old.outcomes]
    new_ids = [o.take_id for o in new.outcomes]

    listed = takelab("versions", str(project_file), "--shot", "cat", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["variant"] for r in rows] == ["v1", "v2", "v2"]
    first, second = rows[1], rows[2]
    assert {"shot", "variant", "version", "first_seen", "commit", "takes", "accepted"} <= set(first)
    assert {"rejected", "cost_usd", "text"} <= set(first)
    assert len(first["version"]) >= 8 and first["takes"] == second["takes"] == 2
    assert "jumps" in first["text"] and "leaps" in second["text"] and second["current"]
    table = takelab("versions", str(project_file), "--variant", "v2")
    assert table.returncode == 0 and first["version"][:8] in table.stdout
    assert "walk" in table.stdout  # --variant alone lists v2 of every shot

    diff = takelab("diff", str(project_file), f"cat/v2@{first['version'][:8]}", "cat/v2")
    assert diff.returncode == 0, diff.stderr
    assert "[-jumps-] {+leaps+}" in diff.stdout and "settings: the same" in diff.stdout
    as_json = json.loads(
        takelab(
            "diff", str(project_file), f"cat/v2@{first['version']}", "cat/v1", "--format", "json"
        ).stdout
    )
    assert as_json["a"]["variant"] == "v2" and as_json["b"]["variant"] == "v1"
    assert {"op", "text"} == set(as_json["prompt"][0])
    bad = takelab("diff", str(project_file), "cat/v2@0000000", "cat/v2")
    assert bad.returncode == 2 and "versions of cat/v2 start with" in bad.stderr
    no_traceback(bad)

    # Preferences: the new wording wins three times and ties once.
    for a, b, winner in (
        (old_ids[0], new_ids[0], "b"),
        (new_ids[1], old_ids[1], "a"),
        (old_ids[0], new_ids[1], "b"),
        (old_ids[1], new_ids[0], "same"),
    ):
        p = takelab("prefer", a[:8], b[:8], "--winner", winner, "--reason", "smoother")
        assert p.returncode == 0, p.stderr
    assert "is better than" in p.stdout or "the same" in p.stdout
    wrong = takelab("prefer", old_ids[0], new_ids[0], "--winner", "left")
    assert wrong.returncode == 2
    itself = takelab("prefer", old_ids[0], old_ids[0], "--winner", "a")
    assert itself.returncode == 2 and "itself" in itself.stderr
    tracker = Tracker(home)
    run = tracker.client.get_run(tracker.find_take_run("mini", new_ids[0]) or "")
    assert run.data.tags["takelab.preferences"] == "2"
    assert run.data.metrics["preference_wins"] == 1 and run.data.metrics["preference_ties"] == 1

    ranked = takelab("rank", str(project_file), "--shot", "cat", "--format", "json")
    assert ranked.returncode == 0, ranked.stderr
    strengths = json.loads(ranked.stdout)
    assert [s["key"] for s in strengths] == [
        f"v2@{second['version'][:8]}",
        f"v2@{first['version'][:8]}",
    ]
    assert strengths[0]["variant"] == "v2" and strengths[0]["version"] == second["version"][:8]
    assert strengths[0]["lo"] < strengths[0]["strength"] < strengths[0]["hi"]
    assert [s["comparisons"] for s in strengths] == [4, 4]
    table = takelab("rank", "mini", "--shot", "cat", cwd=project_file.parent)
    assert table.returncode == 0 and "95% interval" in table.stdout
    empty = takelab("rank", str(project_file), "--shot", "walk")
    assert empty.returncode == 0 and "no preferences" in empty.stdout

    takes_json = json.loads(takelab("takes", "--format", "json").stdout)
    assert {r["version"] for r in takes_json} == {first["version"], second["version"]}
    takes_table = takelab("takes")
    assert second["version"][:8] in takes_table.stdout


def test_reject_needs_a_reason(project_file: Path, takelab_home: Path) -> None:
    from takelab.home import Home
    from takelab.sweep.run import run_sweep

    result = run_sweep(
        project_file, variants=["walk/v1"], seeds=1, progress=False, home=Home(takelab_home)
    )
    take = result.outcomes[0].take_id
    bare = takelab("verdict", take[:8], "reject")
    assert bare.returncode == 2
    assert "a rejection needs a reason" in bare.stderr and "--reason" in bare.stderr
    no_traceback(bare)
    assert takelab("verdict", take[:8], "accept").returncode == 0
    assert takelab("verdict", take[:8], "reject", "--reason", "static").returncode == 0
