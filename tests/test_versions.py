"""Versions of a variant across edits: what each take records (version, commit, dirty),
`versions` joining the journal with the current file, and word diffs between versions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from takelab.errors import UsageError
from takelab.home import Home
from takelab.journal.store import Journal
from takelab.project.model import load_project
from takelab.review.verdicts import record_verdict
from takelab.review.versions import diff_versions, versions, word_diff
from takelab.sweep.run import run_sweep
from takelab.tracking.tracker import Tracker
from takes_home import write_project

ORIGINAL = "prompt: A black cat jumps onto a windowsill, handheld medium shot, soft morning light"
EDIT_1 = "prompt: A black cat leaps onto a windowsill, handheld medium shot, soft morning light"
EDIT_2 = EDIT_1 + "\n        duration: 2"
EDIT_3 = (
    "prompt: A black cat leaps onto a sunny windowsill, handheld close-up, soft morning light"
    "\n        duration: 2"
)


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_word_diff_marks_changed_words_only() -> None:
    assert word_diff("a cat jumps  up", "a cat leaps up high") == [
        ("equal", "a cat"),
        ("delete", "jumps"),
        ("insert", "leaps"),
        ("equal", "up"),
        ("insert", "high"),
    ]
    assert word_diff("same words", "same  words") == [("equal", "same words")]
    assert word_diff("", "new") == [("insert", "new")]


def test_versions_and_diff_across_three_edits(
    tmp_path: Path, takelab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    path = write_project(repo / "prompts")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    first_commit = git(repo, "rev-parse", "HEAD")
    home = Home(takelab_home)

    def sweep() -> str:
        result = run_sweep(path, variants=["cat/v2"], seeds=1, progress=False, home=home)
        assert [o.status for o in result.outcomes] == ["done"]
        return result.outcomes[0].take_id

    take_1 = sweep()  # the committed wording
    edit(path, ORIGINAL, EDIT_1)  # edit 1: one word, not committed
    take_2 = sweep()
    git(repo, "commit", "-q", "-am", "leaps")
    second_commit = git(repo, "rev-parse", "HEAD")
    edit(path, EDIT_1, EDIT_2)  # edit 2: a setting only, not committed
    take_3 = sweep()
    edit(path, EDIT_2, EDIT_3)  # edit 3: words again; no take of it yet
    record_verdict(take_1, "accept", home=home)
    record_verdict(take_2, "reject", ["static"], home=home)

    journal = Journal(home.journal_url)
    recs = [journal.get(t) for t in (take_1, take_2, take_3)]
    assert all(r is not None for r in recs)
    assert [(r.git_commit, r.git_dirty) for r in recs if r] == [
        (first_commit, False),
        (first_commit, True),
        (second_commit, True),
    ]
    assert len({r.version for r in recs if r}) == 3

    rows = versions(path, shot="cat", variant="v2", home=home)
    assert [r.revision for r in rows] == [1, 2, 3, 4]
    assert [r.version for r in rows[:3]] == [r.version for r in recs if r]
    assert all(len(r.short) == 8 and int(r.short, 16) >= 0 for r in rows)
    assert [r.takes for r in rows] == [1, 1, 1, 0]
    assert [(r.accepted, r.rejected) for r in rows] == [(1, 0), (0, 1), (0, 0), (0, 0)]
    assert [r.current for r in rows] == [False, False, False, True]
    assert [(r.commit, r.dirty) for r in rows] == [
        (first_commit, False),
        (first_commit, True),
        (second_commit, True),
        (second_commit, True),  # the file as it stands: HEAD plus edits
    ]
    assert rows[0].first_seen and rows[3].first_seen == ""
    assert "jumps onto a windowsill" in rows[0].text
    assert "leaps onto a sunny windowsill" in rows[3].text
    assert rows[1].text == rows[2].text  # edit 2 changed a setting, not the words
    assert [r.settings["duration_s"] for r in rows] == ["1", "1", "2", "2"]
    # The other variants are listed too, each once (their file version, no take yet).
    everything = versions(path, home=home)
    assert {(r.shot, r.variant) for r in everything} == {
        ("walk", "v1"),
        ("walk", "v2"),
        ("cat", "v1"),
        ("cat", "v2"),
    }
    assert [r.variant for r in everything if r.shot == "cat"] == ["v1", "v2", "v2", "v2", "v2"]

    one = diff_versions(path, f"cat/v2@{rows[0].short}", f"cat/v2@{rows[1].short}", home=home)
    assert [p for p in one.prompt if p[0] != "equal"] == [("delete", "jumps"), ("insert", "leaps")]
    assert one.settings == []
    assert "[-jumps-] {+leaps+}" in one.text()
    two = diff_versions(path, f"cat/v2@{rows[1].short}", f"cat/v2@{rows[2].version}", home=home)
    assert all(op == "equal" for op, _ in two.prompt)
    assert two.settings == [("duration_s", "1", "2")]
    three = diff_versions(path, f"cat/v2@{rows[2].short[:5]}", "cat/v2", home=home)
    assert three.b.current and three.settings == []
    assert [p for p in three.prompt if p[0] != "equal"] == [
        ("insert", "sunny"),
        ("delete", "medium shot,"),
        ("insert", "close-up,"),
    ]
    monkeypatch.chdir(repo / "prompts")  # an id finds prompts/<id>.yaml from a subfolder too
    across = diff_versions("mini", "cat/v1", "cat/v2", home=home)
    assert across.a.variant == "v1" and across.b.current

    with pytest.raises(UsageError, match="start with 'ffffffff'"):
        diff_versions(path, "cat/v2@ffffffff", "cat/v2", home=home)
    with pytest.raises(UsageError, match="did you mean cat/v2"):
        diff_versions(path, "cat/v3", "cat/v2", home=home)
    with pytest.raises(UsageError, match="SHOT/VARIANT"):
        diff_versions(path, "cat", "cat/v2", home=home)

    # MLflow: the version as a param and a tag, and a run name a person can read.
    tracker = Tracker(home)
    run = tracker.client.get_run(tracker.find_take_run("mini", take_3) or "")
    assert run.data.params["version"] == rows[2].version
    assert run.data.tags["takelab.version"] == rows[2].version
    assert run.data.params["git_dirty"] == "true"
    assert run.info.run_name == f"cat/v2@{rows[2].short} seed 1"
    frame = tracker.take_runs_frame("mini")
    assert set(frame["version"]) == {r.version for r in rows[:3]}


def test_a_project_id_without_a_file_lists_its_journal_history(
    tmp_path: Path, takelab_home: Path
) -> None:
    path = write_project(tmp_path / "gone")
    home = Home(takelab_home)
    run_sweep(path, variants=["walk/v1"], seeds=1, progress=False, home=home)
    assert load_project(path).project == "mini"
    path.unlink()
    rows = versions("mini", home=home)
    assert [(r.shot, r.variant, r.takes, r.current) for r in rows] == [("walk", "v1", 1, False)]
    with pytest.raises(UsageError, match="no project file and no takes"):
        versions("nothing-here", home=home)
