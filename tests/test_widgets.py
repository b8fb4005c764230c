"""The widgets driven from Python as a user drives them in JupyterLab: set values, click
buttons, then look at what changed for the user: the project file, git, the journal, MLflow."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from takelab.home import Home
from takelab.journal.store import Journal
from takelab.project.model import load_project
from takelab.review.verdicts import record_verdict
from takelab.tracking.tracker import Tracker, takes_frame
from takelab.widgets import (
    Compare,
    Dailies,
    JupyterServer,
    MediaLinks,
    Studio,
    lint_by_verdict,
    rejection_reasons,
    summary_by,
    takes_table,
    update_variant,
)
from takelab.widgets._player import TakeFileServer
from takes_home import copy_home, write_project


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the small project file, committed."""
    root = tmp_path / "repo"
    write_project(root / "prompts")
    git(root, "init", "-q")
    git(root, "config", "user.name", "Test User")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "initial")
    return root / "prompts" / "mini.yaml"


@pytest.fixture
def swept(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Home:
    """TAKELAB_HOME pointing at a private copy of a store with 24 takes of `mini`."""
    home = copy_home(tmp_path_factory, tmp_path / "swept-home")
    monkeypatch.setenv("TAKELAB_HOME", str(home))
    return Home(home)


def rules(studio: Studio) -> set[str]:
    return {f.rule for f in studio.findings if not f.overridden}


# -- Studio ------------------------------------------------------------------------------


def test_studio_lints_as_you_type_applies_and_dismisses_fixes(project_file: Path) -> None:
    studio = Studio(project_file)
    studio.shot.value = "cat"
    assert studio.variant.value == "v1" and studio.mode.value == "structured"
    assert "a black cat stretches" in studio.rendered.value.lower()
    assert rules(studio) == set()

    studio.inputs["camera"].value = ""
    studio.inputs["lighting"].value = ""
    assert {"no-camera", "no-lighting"} <= rules(studio)
    assert "Camera:" not in studio.rendered.value

    camera = next(f for f in studio.findings if f.rule == "no-camera")
    studio.apply(camera)  # the fix is written about the variant's own subject
    assert studio.inputs["camera"].value == "slow push in on the black cat"
    assert "no-camera" not in rules(studio)
    assert "Camera: slow push in on the black cat" in studio.rendered.value

    # the findings panel has a Dismiss button per finding; click the one for no-lighting
    row = next(r for r in studio.lint_box.children if "no-lighting" in r.children[0].value)
    row.children[1].children[1].click()
    assert "no-lighting" not in rules(studio) and studio.allow == ["no-lighting"]

    studio.save_button.click()
    text = project_file.read_text()
    assert "# a comment that must survive" in text
    cat = load_project(project_file).shot("cat").variant("v1")
    assert cat.camera == "slow push in on the black cat" and cat.lighting is None
    assert cat.allow == ["no-lighting"]
    assert "revised cat/v1" in studio.status.value
    # the other shot's lines did not move
    assert (
        text.splitlines()[:22]
        == write_project(project_file.parent / "x").read_text().splitlines()[:22]
    )


def test_studio_free_text_fix_and_error_finding(project_file: Path) -> None:
    studio = Studio(project_file)
    studio.inputs["prompt"].value = "Barack Obama waves from a stage, slow dolly in, warm spotlight"
    assert "public-figure" in rules(studio)
    apply_button = next(
        r.children[1].children[0]
        for r in studio.lint_box.children
        if "public-figure" in r.children[0].value
    )
    assert not apply_button.disabled
    apply_button.click()
    assert "Obama" not in studio.inputs["prompt"].value
    assert studio.inputs["prompt"].value.startswith("A person waves from a stage")
    assert "public-figure" not in rules(studio)

    studio.inputs["duration"].value = "abc"
    assert "duration must be a number" in studio.rendered.value
    studio.save_button.click()
    assert "duration must be a number" in studio.status.value
    assert (
        "Obama" not in project_file.read_text() and "A person waves" not in project_file.read_text()
    )


def test_studio_saves_as_new_variant_or_revision_and_commits_only_when_asked(repo: Path) -> None:
    studio = Studio(repo)
    head = git(repo.parent, "rev-parse", "HEAD")
    studio.inputs["prompt"].value = "A woman in a red raincoat runs through the rain at dusk"
    assert studio.dirty and "draft" in studio.draft_label.value
    studio.save_as.value = "new variant"
    studio.save_button.click()
    assert studio.variant.value == "v3", studio.status.value
    assert git(repo.parent, "rev-parse", "HEAD") == head  # saving never commits
    shot = load_project(repo).shot("walk")
    assert [v.id for v in shot.variants] == ["v1", "v3", "v2"]
    assert shot.variant("v3").prompt == "A woman in a red raincoat runs through the rain at dusk"
    assert shot.variant("v1").prompt is not None and "runs" not in shot.variant("v1").prompt
    assert not studio.dirty and "as saved" in studio.draft_label.value

    studio.save_as.value = "new variant"
    studio.new_id.value = "dusk-run"
    studio.inputs["negative"].value = "text, watermark"
    studio.save_button.click()
    assert studio.variant.value == "dusk-run"
    assert load_project(repo).shot("walk").variant("dusk-run").negative == "text, watermark"

    studio.commit_message.value = ""
    studio.commit_button.click()
    assert "write a commit message" in studio.status.value
    assert git(repo.parent, "rev-parse", "HEAD") == head
    studio.commit_message.value = "walk: try a running take at dusk"
    studio.commit_button.click()
    assert git(repo.parent, "log", "-1", "--format=%s") == "walk: try a running take at dusk"
    assert git(repo.parent, "show", "--name-only", "--format=", "HEAD") == "prompts/mini.yaml"
    assert git(repo.parent, "status", "--porcelain") == ""

    studio.duplicate_button.click()
    assert studio.variant.value == "v4" and "duplicated as walk/v4" in studio.status.value
    assert "# a comment that must survive" in repo.read_text()
    assert git(repo.parent, "status", "--porcelain") == "M prompts/mini.yaml"


def test_studio_generate_renders_a_draft_without_touching_the_file(repo: Path) -> None:
    studio = Studio(repo, backends=["priced"], seeds=2)
    studio.shot.value = "cat"
    prices = studio.prices.value
    assert "priced:tenth" in prices and "$0.10" in prices and "$0.20" in prices
    assert "15% assumed" in prices and "$0.67" in prices  # 0.10 / 0.15
    before = repo.read_bytes()
    saved_version = studio.version_of(studio.saved)

    studio.inputs["style"].value = "35mm film"
    draft_version = studio.version_of(studio.draft_variant())
    assert draft_version != saved_version
    studio.generate_button.click()
    assert "2 done" in studio.status.value, studio.status.value
    assert "the file is unchanged" in studio.status.value
    assert repo.read_bytes() == before  # byte-identical: a draft is never written
    assert git(repo.parent, "status", "--porcelain") == ""
    assert studio.progress.value == 2 and len(studio.results.children) == 2
    assert studio.dirty  # the draft is still in the editor

    html = studio.results.children[0].value
    assert "<video" in html and "base64" not in html
    url = html.split('src="')[1].split('"')[0]
    with urllib.request.urlopen(url, timeout=10) as response:  # the loopback file server
        assert response.read(12)[4:8] == b"ftyp"

    result = studio.last_result
    assert result is not None
    head = git(repo.parent, "rev-parse", "HEAD")
    tracker = Tracker()
    for outcome in result.outcomes:
        record = Journal(Home.from_env().journal).get(outcome.take_id)
        assert record is not None and record.request.variant_hash == draft_version
        assert record.git_dirty  # made from wording the committed file does not hold
        assert "35mm film" in record.request.prompt
        run = tracker.client.get_run(tracker.find_take_run("mini", outcome.take_id) or "")
        assert run.data.params["git_commit"] == head
        assert run.data.params["variant"] == "v1" and run.data.params["backend"] == "priced"

    # the history shows the draft's version with its takes, beside the file's version
    history = studio.history.table.value
    assert draft_version[:8] in history and saved_version[:8] in history
    assert "the draft" in history and "in the file" in history
    diff = studio.history.diff.value
    assert "<ins" in diff and "35mm film" in diff

    record_verdict(result.outcomes[0].take_id, "accept")
    record_verdict(result.outcomes[1].take_id, "reject", ["static"])
    studio.refresh_prices()
    assert "50% (1 of 2 reviewed)" in studio.prices.value and "$0.20</b>" in studio.prices.value

    # Save as a revision: the same variant id, the draft's wording, comments intact
    studio.save_as.value = "new revision"
    studio.save_button.click()
    text = repo.read_text()
    assert "# a comment that must survive" in text and text != before.decode()
    cat = load_project(repo).shot("cat")
    assert [v.id for v in cat.variants] == ["v1", "v2"] and cat.variant("v1").style == "35mm film"
    assert studio.version_of(cat.variant("v1")) == draft_version
    assert git(repo.parent, "rev-parse", "HEAD") == head  # not committed until asked
    # only the revised variant's lines changed
    changed = [
        line
        for line in git(repo.parent, "diff", "-U0").splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ["+        style: 35mm film"], changed


def test_project_edit_refuses_a_broken_file(project_file: Path) -> None:
    before = project_file.read_text()
    with pytest.raises(Exception, match="aspect"):
        update_variant(project_file, "walk", "v1", {"aspect": "5:4"}, commit=False)
    assert project_file.read_text() == before


# -- Dailies -----------------------------------------------------------------------------


def test_dailies_verdicts_reach_journal_and_mlflow(swept: Home) -> None:
    dailies = Dailies("mini")
    assert len(dailies.records) == 24 and "24 unreviewed" in dailies.position.value
    first = dailies.current
    assert first is not None and first.take_id in dailies.info.value
    assert "<video" in dailies.player.value and "preview.gif" in dailies.player.value

    reasons = {b.description: b for b in dailies.reasons}
    reasons["static"].value = True
    reasons["flicker"].value = True
    dailies.note.value = "nothing moves"
    dailies.reject_button.click()
    assert dailies.index == 1 and "reject saved" in dailies.status.value
    assert not reasons["static"].value and dailies.note.value == ""

    verdict = Journal(swept.journal).latest_verdicts()[first.take_id]
    assert verdict.verdict == "reject" and verdict.reasons == ["flicker", "static"]
    tracker = Tracker(swept)
    run = tracker.client.get_run(tracker.find_take_run("mini", first.take_id) or "")
    assert run.data.tags["takelab.verdict"] == "reject"
    assert run.data.tags["takelab.reasons"] == "flicker,static"
    assert run.data.metrics["accepted"] == 0

    dailies.prev_button.click()
    assert dailies.current == first and "nothing moves" in dailies.history.value
    # The learning loop: what to try next for each rejection reason.
    assert "Try next" in dailies.history.value
    assert "add a camera move" in dailies.history.value  # the fix for `static`
    dailies.accept_button.click()
    dailies.prev_button.click()
    assert dailies.history.value.count("<li>") == 2
    assert dailies.history.value.index("accept") < dailies.history.value.index("reject")
    run = tracker.client.get_run(run.info.run_id)
    assert run.data.tags["takelab.verdict"] == "accept" and run.data.metrics["accepted"] == 1

    dailies.keys.value = "j"  # next, then accept from the keyboard
    second = dailies.current
    assert second is not None and second != first
    dailies.keys.value = "a"
    assert dailies.keys.value == ""
    assert Journal(swept.journal).latest_verdicts()[second.take_id].verdict == "accept"


def test_dailies_filters_grid_and_paging(swept: Home) -> None:
    takes = Journal(swept.journal).takes(project="mini")
    record_verdict(takes[0].take_id, "accept")
    dailies = Dailies("mini", page_size=10)
    assert dailies.records[-1].take_id == takes[0].take_id  # unreviewed first
    dailies.shot.value = "cat"
    assert len(dailies.records) == 12 and {r.shot for r in dailies.records} == {"cat"}
    dailies.backend.value = "priced:tenth"
    assert len(dailies.records) == 6
    dailies.shot.value = "(all)"
    dailies.backend.value = "(all)"
    dailies.verdict.value = "accept"
    assert [r.take_id for r in dailies.records] == [takes[0].take_id]
    dailies.verdict.value = "reject"
    assert not dailies.records and "No takes match these filters" in dailies.empty.value
    record_verdict(takes[1].take_id, "reject", ["blurry"])  # from the CLI, say
    dailies.refresh_button.click()
    assert [r.take_id for r in dailies.records] == [takes[1].take_id]
    assert dailies.empty.value == ""
    dailies.verdict.value = "unreviewed"
    assert len(dailies.records) == 22

    dailies.mode.value = "grid"
    assert dailies.single.layout.display == "none" and dailies.grid.layout.display is None
    assert len(dailies.cards.children) == 10 and "page 1 of 3" in dailies.page_label.value
    card = dailies.cards.children[0]
    assert "preview.gif" in card.children[0].value and 'loading="lazy"' in card.children[0].value
    dailies.next_page.click()
    dailies.next_page.click()
    assert len(dailies.cards.children) == 2 and dailies.next_page.disabled
    target = dailies.records[20]
    dailies.cards.children[0].children[1].click()  # Review
    assert dailies.mode.value == "one at a time" and dailies.current == target


def test_dailies_on_a_fresh_home_says_how_to_get_takes(project_file: Path) -> None:
    dailies = Dailies(project_file)
    assert dailies.project == "mini"
    assert "No finished takes" in dailies.empty.value and "sweep" in dailies.empty.value
    assert dailies.single.layout.display == "none" and dailies.grid.layout.display == "none"
    dailies.accept_button.click()  # nothing to accept: nothing happens, nothing breaks
    assert not Home.from_env().journal.exists() or not Journal(Home.from_env().journal).verdicts()


# -- Compare -----------------------------------------------------------------------------


def test_compare_tables_from_mlflow(swept: Home) -> None:
    takes = Journal(swept.journal).takes(project="mini")
    walk_priced = [t for t in takes if (t.shot, t.variant, t.backend) == ("walk", "v1", "priced")]
    record_verdict(walk_priced[0].take_id, "accept")
    record_verdict(walk_priced[1].take_id, "reject", ["static"])
    record_verdict(walk_priced[2].take_id, "reject", ["static", "blurry"])
    cat_previz = next(t for t in takes if (t.shot, t.backend) == ("cat", "previz"))
    record_verdict(cat_previz.take_id, "reject", ["warped"])

    frame = takes_frame("mini")
    by_vb = summary_by(frame, "variant x backend").set_index(["shot", "variant", "backend"])
    row = by_vb.loc[("walk", "v1", "priced")]
    assert (row["takes"], row["reviewed"], row["accepted"]) == (3, 3, 1)
    assert row["acceptance_rate"] == pytest.approx(1 / 3)
    assert row["spend_usd"] == pytest.approx(0.30)
    assert row["cost_per_accepted_usd"] == pytest.approx(0.30)
    assert "searchFilter=" in row["runs"] and "workflowType=machine_learning" in row["runs"]
    by_backend = summary_by(frame, "backend").set_index("backend")
    assert by_backend.loc["priced", "spend_usd"] == pytest.approx(1.2)
    assert pd.isna(by_backend.loc["previz", "cost_per_accepted_usd"])

    reasons = rejection_reasons(frame).set_index("backend")
    assert reasons.loc["priced", "static"] == 2 and reasons.loc["priced", "blurry"] == 1
    assert reasons.loc["previz", "warped"] == 1

    table = takes_table(frame)
    assert len(table) == 24 and table["link"].str.contains("/runs/").all()

    compare = Compare("mini", by="variant")
    assert "24 takes, 4 reviewed, $1.20 spent" in compare.header.value
    assert compare.summary.value.count(">runs</a>") == 4  # one per variant
    compare.by.value = "backend"
    assert "priced" in compare.summary.value and compare.summary.value.count("<tr>") == 3
    assert compare.chart.value[:4] == b"\x89PNG"
    assert "warped" in compare.reasons.value


def test_lint_rules_on_rejected_versus_accepted() -> None:
    frame = pd.DataFrame(
        {
            "verdict": ["accept", "accept", "reject", "reject", "unreviewed"],
            "lint": ["", "no-camera", "no-camera,legible-text", "legible-text", "hard-cut"],
        }
    )
    table = lint_by_verdict(frame).set_index("rule")
    assert list(table.index) == ["legible-text", "no-camera"]  # most rejected first
    assert table.loc["legible-text", "rejected"] == 2 and table.loc["legible-text", "accepted"] == 0
    assert table.loc["no-camera", "share_of_accepted"] == 0.5
    assert lint_by_verdict(frame.iloc[0:0]).empty


def test_compare_on_a_fresh_home_explains_itself() -> None:
    compare = Compare("mini")
    assert "No takes in MLflow" in compare.header.value
    assert compare.chart.layout.display == "none"
    assert "nothing to chart" in compare.chart_note.value
    assert "nothing to rank" in compare.ranking.value


def test_compare_by_version_with_intervals_and_a_sentence(swept: Home) -> None:
    from takelab.widgets import ABPlayer

    takes = Journal(swept.journal).takes(project="mini")
    walk = {(t.variant, t.backend, t.seed): t for t in takes if t.shot == "walk"}
    compare = Compare("mini")
    assert compare.by.value == "version"
    assert "No reviewed takes yet" in compare.chart_note.value  # no empty chart in silence
    assert compare.chart.layout.display == "none"
    assert "no preferences between its versions yet" in compare.ranking.value

    for seed in (1, 2, 3):
        record_verdict(walk[("v1", "previz", seed)].take_id, "accept")
        record_verdict(walk[("v2", "previz", seed)].take_id, "reject", ["static"])
    record_verdict(walk[("v1", "priced", 1)].take_id, "accept")
    ABPlayer([walk[("v1", "previz", 1)].take_id, walk[("v2", "previz", 1)].take_id]).prefer("a")
    compare.refresh()
    table = compare.summary.value
    assert "accept rate (95% interval)" in table and "Cost per accepted clip (USD)" in table
    assert "100% (" in table and "0% (0–" in table  # rates with their Wilson interval
    assert "Peak motion (median) (px/frame)" in table or "Peak motion (median)" in table
    assert "1 comparisons" in table
    assert compare.chart.value[:4] == b"\x89PNG" and compare.chart.layout.display is None
    assert "none of its takes was accepted" in compare.chart_note.value
    names = [label for label, _ in compare.version_a.options]
    v1 = next(i for i, n in enumerate(names) if n.startswith("walk/v1@"))
    v2 = next(i for i, n in enumerate(names) if n.startswith("walk/v2@"))
    compare.version_a.value, compare.version_b.value = v1, v2
    assert "Difference in accept rate" in compare.difference.value
    assert "+100%" in compare.difference.value
    assert "is accepted more often than" in compare.difference.value
    compare.version_b.value = next(i for i, n in enumerate(names) if n.startswith("cat/v1@"))
    assert "has no reviewed takes yet" in compare.difference.value
    assert (
        "walk" in compare.ranking.value
        and "<table class='takelab-ranking'>" in compare.ranking.value
    )


# -- the player ----------------------------------------------------------------------------


def test_media_urls_use_the_jupyter_files_route_or_loopback(tmp_path: Path) -> None:
    home = Home(tmp_path / "root" / "runs").ensure()
    take = home.take_dir("abc123")
    take.mkdir()
    (take / "preview.gif").write_bytes(b"GIF89a-test")

    inside = MediaLinks(home, jupyter=JupyterServer(tmp_path / "root", "/lab-base/"))
    assert (
        inside.take_file("abc123", "preview.gif") == "/lab-base/files/runs/takes/abc123/preview.gif"
    )
    assert inside.take_file("abc123", "take.mp4") is None

    outside = MediaLinks(home, jupyter=JupyterServer(tmp_path / "elsewhere"))
    url = outside.take_file("abc123", "preview.gif")
    assert url is not None and url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"GIF89a-test"
    # byte ranges, which a browser needs to seek a video (synced players seek all the time)
    request = urllib.request.Request(url, headers={"Range": "bytes=3-6"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 206 and response.read() == b"89a-"
        assert response.headers["Content-Range"] == "bytes 3-6/11"
    request = urllib.request.Request(url, headers={"Range": "bytes=-4"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == b"test"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=50-"}))
    assert err.value.code == 416
    server = TakeFileServer.for_folder(home.takes)
    for path in ("", "abc123/", "../journal.sqlite"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/{path}", timeout=10)
        assert err.value.code == 404
    server.close()


def test_studio_shows_what_to_try_next_from_rejected_takes(project_file: Path) -> None:
    from takelab.review.verdicts import record_verdict
    from takelab.sweep.run import run_sweep

    result = run_sweep(project_file, shots=["walk"], variants=["walk/v1"], progress=False)
    record_verdict(result.outcomes[0].take_id, "reject", ["garbled-text"])
    studio = Studio(project_file)
    studio.shot.value = "walk"
    studio.variant.value = "v1"
    studio.refresh()
    assert "Try next" in studio.rendered.value and "overlay" in studio.rendered.value
    studio.variant.value = "v2"  # no rejected takes: nothing to suggest
    studio.refresh()
    assert "Try next" not in studio.rendered.value


# -- reviewing side by side ------------------------------------------------------------------


def test_dailies_will_not_reject_without_a_reason(swept: Home) -> None:
    dailies = Dailies("mini")
    first = dailies.current
    assert first is not None
    dailies.keys.value = "r"  # `r` with no reason picked
    assert "pick a reason first" in dailies.status.value
    assert dailies.current == first
    assert first.take_id not in Journal(swept.journal).latest_verdicts()

    dailies.note.value = "the cat walks through the wall"  # free text alone is a reason
    dailies.reject_button.click()
    verdict = Journal(swept.journal).latest_verdicts()[first.take_id]
    assert verdict.reasons == ["other"] and verdict.note == "the cat walks through the wall"
    # takes group by version: a filter, and the version beside the variant
    walk_v1 = next(o for o in dailies.version.options if o.startswith("walk/v1@"))
    dailies.version.value = walk_v1
    assert len(dailies.records) == 6 and {r.variant for r in dailies.records} == {"v1"}
    assert f"@{walk_v1.split('@')[1]}" in dailies.info.value
    # metrics carry readable names and units, not raw keys
    assert "Peak motion" in dailies.info.value and "px/frame" in dailies.info.value
    assert "motion_peak" not in dailies.info.value


def test_ab_player_shows_versions_and_records_preferences(swept: Home) -> None:
    from takelab.widgets import ABPlayer

    takes = Journal(swept.journal).takes(project="mini")
    v1 = next(
        t for t in takes if (t.shot, t.variant, t.backend, t.seed) == ("walk", "v1", "previz", 1)
    )
    v2 = next(
        t for t in takes if (t.shot, t.variant, t.backend, t.seed) == ("walk", "v2", "previz", 1)
    )
    player = ABPlayer([v1.take_id[:8], v2.take_id])
    panes = [p.value for p in player.panes]
    assert v1.request.variant_hash[:8] in panes[0] and v2.request.variant_hash[:8] in panes[1]
    assert all("previz:" in p and "seed 1" in p and 'class="takelab-sync"' in p for p in panes)
    assert "base64" not in "".join(panes) and " loop" not in "".join(panes)
    assert "<ins" in player.diff.value and "<del" in player.diff.value  # the prompts' word diff
    bar = player.transport.outputs[0]["data"]["text/html"]
    assert f"takelab-bar-{player.uid}" in bar and "<script>" in bar and "takelab-key-a" in bar

    player.reason.value = "the pause reads better"
    player.prefer_b.click()
    assert "right is better" in player.status.value, player.status.value
    prefs = Journal(swept.journal).preferences(project="mini")
    assert [(p.take_a, p.take_b, p.winner, p.reason) for p in prefs] == [
        (v1.take_id, v2.take_id, "b", "the pause reads better")
    ]
    assert player.reason.value == ""
    player.prefer_same.click()
    assert [p.winner for p in Journal(swept.journal).preferences(project="mini")] == ["b", "same"]

    with pytest.raises(ValueError, match="2 to 4"):
        ABPlayer([v1.take_id])


def test_grid_lays_out_a_shot_and_rejects_a_selection_with_one_reason(swept: Home) -> None:
    from takelab.widgets import ReviewGrid

    grid = ReviewGrid("mini", shot="walk")
    assert len(grid.cells) == 12  # 2 variants x 2 backends x 3 seeds
    headers = [c.value for c in grid.board.children[:3]]
    assert "v1" in headers[1] and "v2" in headers[2]
    assert "repeat(2," in grid.board.layout.grid_template_columns

    grid.columns.value = "version"
    assert len(grid.cells) == 12 and "@" in grid.board.children[1].value
    grid.backend.value = "previz:" + next(iter(grid.cells.values())).record.model
    assert len(grid.cells) == 6

    chosen = list(grid.cells)[:4]
    for take_id in chosen:
        grid.cells[take_id].select.value = True
    grid.reject_selected.click()  # no reason: nothing recorded
    assert "pick a reason first" in grid.status.value
    assert not set(chosen) & set(Journal(swept.journal).latest_verdicts())

    grid.picker.pick("wrong-motion")
    grid.picker.text.value = "walks the wrong way"
    grid.reject_selected.click()
    assert "reject saved for 4 takes" in grid.status.value, grid.status.value
    latest = Journal(swept.journal).latest_verdicts()
    for take_id in chosen:
        assert latest[take_id].verdict == "reject"
        assert latest[take_id].reasons == ["wrong-motion"]
        assert latest[take_id].note == "walks the wrong way"
        assert "reject" in grid.cells[take_id].caption.value
        assert not grid.cells[take_id].select.value
    tracker = Tracker(swept)
    run = tracker.client.get_run(tracker.find_take_run("mini", chosen[0]) or "")
    assert run.data.tags["takelab.verdict"] == "reject"
    assert run.data.tags["takelab.reasons"] == "wrong-motion"

    other = list(grid.cells)[5]
    grid.cells[other].accept.click()
    assert Journal(swept.journal).latest_verdicts()[other].verdict == "accept"
    grid.cells[other].reject.click()  # a cell's own reject needs a reason too
    assert Journal(swept.journal).latest_verdicts()[other].verdict == "accept"
