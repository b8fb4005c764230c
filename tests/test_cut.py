"""From kept takes to a finished piece: `make_cut` and `takelab cut` write the MP4 and the
four timelines, the text and the disclosure label are in the picture, the timelines read
back with the same clips and times, the content credentials validate, the cut is an
MLflow run, and a shot with nothing accepted stops the cut with a clear error.

One small previz sweep (2 shots, 1 s at 480p) and one cut are made per module; each test
that changes the store works on a copy of it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from click.testing import CliRunner

from leftovers import ffmpeg_children, open_files
from takelab.cli import main
from takelab.home import Home
from takelab.journal.store import Journal
from takelab.media.io import ffmpeg_exe, probe
from takelab.post import CutError, CutResult, make_cut
from takelab.post.credentials import AI_SOURCE, ingredient_sources, make_dev_cert, read_manifest
from takelab.post.layout import Segment
from takelab.post.select import quality_rank
from takelab.post.text import label_image, overlay_image
from takelab.post.timeline import FORMATS, clip_times, read_timeline
from takelab.project.model import PromptFileError
from takelab.review.verdicts import record_verdict
from takelab.sweep.run import run_sweep
from takelab.tracking.tracker import Tracker

PROJECT = """\
project: mini
defaults:
  duration: 1
  aspect: "16:9"
  resolution: 480p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: A woman in a red raincoat walks toward the camera at night, slow dolly back,
          neon light flickering on
  - id: cat
    variants:
      - id: v1
        prompt: A black cat jumps onto a windowsill, handheld medium shot, soft morning light
cut:
  title: {text: Mini, duration: 0.5, background: navy}
  shots:
    - shot: walk
      overlays:
        - text: HELLO
          position: center
          start: 0.2
          end: 0.7
          style: {size: 72, color: "#ffcc00"}
    - shot: cat
      in: 0.1
      transition: {type: crossfade, duration: 0.25}
  end: {text: The end, duration: 0.5}
  audio: {file: bed.wav, fade_in: 0.2, fade_out: 0.3, level: -6}
"""


@dataclass
class Made:
    """The module's store, project and the cut made from it."""

    home: Path
    project: Path
    cert: Path
    key: Path
    root: Path
    result: CutResult


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, mlflow_store_template: Path) -> Iterator[Made]:
    base = tmp_path_factory.mktemp("cut")
    home = base / "home"
    home.mkdir()
    shutil.copy(mlflow_store_template, home / "mlflow.db")
    folder = base / "proj" / "prompts"
    folder.mkdir(parents=True)
    project = folder / "mini.yaml"
    project.write_text(PROJECT)
    subprocess.run(
        [
            *(ffmpeg_exe(), "-v", "error", "-f", "lavfi"),
            *("-i", "sine=frequency=330:duration=5", "-ac", "2", str(folder / "bed.wav")),
        ],
        check=True,
    )
    cert = make_dev_cert(base / "dev-cert")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAKELAB_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        for name, value in (("CERT", cert.cert), ("KEY", cert.key), ("TRUST", cert.root)):
            mp.setenv(f"TAKELAB_C2PA_{name}", str(value))
        sweep = run_sweep(project, progress=False, concurrency=2, home=Home(home))
        assert sweep.counts["done"] == 2, sweep.describe()
        for outcome in sweep.outcomes:
            record_verdict(outcome.take_id, "accept", home=Home(home))
        result = make_cut(project, progress=False, home=Home(home))
    yield Made(home, project, cert.cert, cert.key, cert.root, result)


@pytest.fixture
def store(made: Made, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the module's store as TAKELAB_HOME, with signing configured."""
    home = tmp_path / "store"
    shutil.copytree(made.home, home)
    monkeypatch.setenv("TAKELAB_HOME", str(home))
    for name, value in (("CERT", made.cert), ("KEY", made.key), ("TRUST", made.root)):
        monkeypatch.setenv(f"TAKELAB_C2PA_{name}", str(value))
    return home


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def segment(result: CutResult, name: str) -> Segment:
    return next(s for s in result.layout.segments if s.name == name)


# -- the video -------------------------------------------------------------------------


def test_the_cut_is_an_h264_mp4_as_long_as_its_timelines(made: Made) -> None:
    result = made.result
    assert result.folder.parent == made.home / "cuts"
    assert result.folder.name.startswith("mini-") and result.video.name == "cut.mp4"
    layout = result.layout
    # title 12 + walk 24 + cat 22 - crossfade 6 + end 12 frames at 24 fps
    assert (layout.fps, layout.width, layout.height, layout.frames) == (24, 854, 480, 64)
    info = probe(result.video)
    assert (info.codec, info.pix_fmt, info.frames) == ("h264", "yuv420p", layout.frames)
    assert info.has_audio
    with av.open(str(result.video)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        # the disclosure is in the file's metadata whatever happens to the picture
        assert container.metadata["comment"] == "Contains AI-generated footage"
        assert container.metadata["description"] == "Contains AI-generated footage"
    assert set(result.timelines) == set(FORMATS)
    for ext, path in result.timelines.items():
        assert path == result.folder / f"cut.{ext}" and path.stat().st_size > 0
        timeline = read_timeline(path, layout.fps)
        assert abs(timeline.duration().to_seconds() - info.duration_s) <= 1 / layout.fps, ext


def test_overlay_text_and_disclosure_label_are_in_the_picture(made: Made) -> None:
    result = made.result
    layout = result.layout
    cut = frames_of(result.video)
    walk = segment(result, "walk")
    assert walk.take is not None
    take = frames_of(walk.take.path)
    (placed,) = walk.overlays
    assert (placed.start, placed.end) == (walk.start + 5, walk.start + 17)  # 0.2 s to 0.7 s

    def diff(k: int, box: tuple[int, int, int, int]) -> float:
        """Mean difference of a box between cut frame k and the take frame it shows."""
        x, y, w, h = box
        source = take[walk.source_in + k - walk.start]
        a, b = cut[k][y : y + h, x : x + w], source[y : y + h, x : x + w]
        return float(np.abs(a.astype(int) - b.astype(int)).mean())

    image, x, y = overlay_image(placed.overlay, layout.width, layout.height, made.project.parent)
    text_box = (x, y, image.shape[1], image.shape[0])
    label, lx, ly = label_image("Contains AI-generated footage", layout.width, layout.height)
    label_box = (lx, ly, label.shape[1], label.shape[0])
    quiet = (20, 20, 120, 80)  # top left: nothing drawn there
    during, after = placed.start + 3, placed.end  # end: the first frame without it
    assert diff(during, text_box) > 20  # the overlay is there...
    assert diff(after, text_box) < 6  # ...and gone when it ends
    assert diff(during, quiet) < 6 and diff(after, quiet) < 6
    for k in (during, after):
        assert diff(k, label_box) > 20  # the label stays on
    # the title card is its own colour, with the label too
    title = cut[2]
    assert np.abs(title[10:40, 10:40].astype(int) - (0, 0, 128)).max() < 12


def test_the_timelines_read_back_with_the_same_clips_and_times(made: Made) -> None:
    result = made.result
    layout = result.layout
    walk, cat = segment(result, "walk"), segment(result, "cat")
    assert walk.take is not None and cat.take is not None
    # a 6-frame crossfade from walk to cat: the cut sits at its middle frame (33)
    expected = [
        ("title", (result.folder / "cut.title.mp4").as_uri(), 0, 12, 0, 12),
        ("walk", walk.take.path.as_uri(), 0, 21, 12, 33),
        ("cat", cat.take.path.as_uri(), 2 + 3, 24, 33, 52),
        ("end", (result.folder / "cut.end.mp4").as_uri(), 0, 12, 52, 64),
    ]
    for ext, path in result.timelines.items():
        timeline = read_timeline(path, layout.fps)
        got = [
            (c.name, c.url, c.source_start, c.source_end, c.record_start, c.record_end)
            for c in clip_times(timeline)
        ]
        assert got == expected, ext
    # the OTIO file keeps everything: the dissolve, overlay markers, take ids, audio bed
    timeline = read_timeline(result.timelines["otio"], layout.fps)
    (video,) = timeline.video_tracks()
    transitions = [c for c in video if c.schema_name() == "Transition"]
    assert [(t.in_offset.value, t.out_offset.value) for t in transitions] == [(3, 3)]
    clips = {c.name: c for c in video.find_clips()}
    assert [m.name for m in clips["walk"].markers] == ["HELLO"]
    assert clips["cat"].metadata["takelab"]["take_id"] == cat.take.take_id
    (audio,) = timeline.audio_tracks()
    assert audio.duration().to_frames() == 64
    # Premiere's XML keeps the dissolve and the marker too; the EDL names takes as reels
    xml = read_timeline(result.timelines["xml"], layout.fps)
    assert any(c.schema_name() == "Transition" for c in xml.video_tracks()[0])
    edl = result.timelines["edl"].read_text()
    assert cat.take.take_id[:8].upper() in edl and "HELLO" in edl


def test_content_credentials_validate_with_ai_source_on_every_ingredient(made: Made) -> None:
    import c2pa

    result = made.result
    assert result.validation_state == "Trusted"
    assert result.manifest is not None and result.manifest.name == "cut.manifest.json"
    with c2pa.Reader(str(result.video), context=_trusting(made.root)) as reader:
        assert reader.get_validation_state() == "Trusted"
        store = json.loads(reader.json())
    active = store["manifests"][store["active_manifest"]]
    assert len(active["ingredients"]) == 2
    sources = ingredient_sources(store)
    assert sources == [[AI_SOURCE], [AI_SOURCE]]
    assert [a["action"] for a in _actions(active)][-1] == "c2pa.edited"
    created = [_actions(store["manifests"][i["active_manifest"]]) for i in active["ingredients"]]
    assert {(a[0]["action"], a[0]["softwareAgent"]["name"]) for a in created} == {
        ("c2pa.created", "previz")
    }
    # without our CA as a trust anchor the same file is valid but untrusted
    untrusted = read_manifest(result.video)
    assert untrusted["validation_state"] == "Valid"


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action
        for assertion in manifest["assertions"]
        if assertion["label"].startswith("c2pa.actions")
        for action in assertion["data"]["actions"]
    ]


def _trusting(root: Path) -> object:
    from takelab.post.credentials import context

    return context(root)


def test_the_cut_is_an_mlflow_run_with_its_files(made: Made) -> None:
    result = made.result
    tracker = Tracker(Home(made.home))
    runs = tracker.client.search_runs(
        [tracker.experiment_id("mini")], filter_string="tags.`takelab.kind` = 'cut'"
    )
    assert [r.info.run_id for r in runs] == [result.run_id]
    run = runs[0]
    assert run.data.tags["takelab.takes"] == ",".join(result.take_ids)
    assert run.data.params["take.01.walk"] == result.take_ids[0]
    assert run.data.tags["takelab.c2pa"] == "Trusted"
    assert run.data.metrics["duration_s"] == pytest.approx(64 / 24)
    names = {a.path for a in tracker.client.list_artifacts(result.run_id)}
    assert {"cut.mp4", "cut.otio", "cut.xml", "cut.edl", "cut.fcpxml", "cut.manifest.json"} <= names


# -- the command line, errors and the widget ---------------------------------------------


def test_cli_cuts_a_project_by_id_and_leaves_nothing_open(
    made: Made, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(made.project.parent.parent)  # prompts/mini.yaml is here
    out = tmp_path / "final" / "mini-film.mp4"
    result = CliRunner().invoke(main, ["cut", "mini", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "content credentials: Trusted" in result.output
    assert f"cut: {out}" in result.output
    for ext in ("otio", "xml", "edl", "fcpxml", "manifest.json"):
        assert (out.parent / f"mini-film.{ext}").is_file()
    assert probe(out).frames == 64
    assert ffmpeg_children() == []
    # the first cut in a store opens its MLflow database for good; later ones open nothing
    files = open_files()
    again = CliRunner().invoke(main, ["cut", "mini"])
    assert again.exit_code == 0, again.output
    assert ffmpeg_children() == []
    assert open_files() == files


def test_a_shot_without_an_accepted_take_stops_the_cut(
    made: Made, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(store / "journal.sqlite")
    cat = next(t for t in journal.takes(project="mini") if t.shot == "cat")
    record_verdict(cat.take_id, "reject", ["blurry"], home=Home(store))
    before = set((store / "cuts").iterdir())
    with pytest.raises(CutError) as info:
        make_cut(made.project, progress=False)
    assert info.value.shot == "cat"
    assert "shot 'cat' has no accepted take (1 finished: 0 unreviewed, 1 rejected)" in str(
        info.value
    )
    result = CliRunner().invoke(main, ["cut", str(made.project)])
    assert result.exit_code == 2
    assert "no accepted take" in result.output and "takelab verdict" in result.output
    assert "Traceback" not in result.output
    assert set((store / "cuts").iterdir()) == before  # nothing half-made


def test_a_named_take_of_another_shot_is_an_error_at_its_line(
    made: Made, store: Path, tmp_path: Path
) -> None:
    walk = made.result.take_ids[0]
    text = PROJECT.replace("      in: 0.1\n", f"      in: 0.1\n      take: {walk[:8]}\n")
    path = tmp_path / "mini.yaml"
    path.write_text(text)
    shutil.copy(made.project.parent / "bed.wav", tmp_path / "bed.wav")
    with pytest.raises(PromptFileError) as info:
        make_cut(path, progress=False)
    line = text.splitlines().index(f"      take: {walk[:8]}") + 1
    assert info.value.line == line and "is a take of mini/walk" in str(info.value)


def test_best_accepted_prefers_better_quality_then_newer() -> None:
    from takelab.journal.store import TakeRecord

    def take(created: float, **metrics: float) -> TakeRecord:
        return TakeRecord.model_construct(metrics=metrics, created_at=created)

    sharp = take(1, sharpness=0.6, conforms=1)
    blurry_newer = take(2, sharpness=0.2, conforms=1)
    with_cut = take(3, sharpness=0.7, cuts=1, conforms=1)
    nonconforming = take(4, sharpness=0.7, conforms=0)
    plain_old, plain_new = take(5), take(6)
    ranked = sorted([blurry_newer, nonconforming, sharp, with_cut], key=quality_rank)
    assert ranked[::-1] == [sharp, blurry_newer, with_cut, nonconforming]
    assert max([plain_old, plain_new], key=quality_rank) is plain_new


def test_the_cut_widget_orders_shots_picks_takes_and_renders(made: Made, store: Path) -> None:
    from takelab.widgets._player import MediaLinks
    from takelab.widgets.cut import CutEditor

    editor = CutEditor(made.project, links=MediaLinks(Home(store), jupyter=None))
    assert editor.order() == [("walk", "best"), ("cat", "best")]
    walk, cat = editor.rows
    assert len(walk.take.options) == 2  # best accepted, and the one accepted take
    cat.take.value = cat.take.options[1][1]
    cat.up.click()
    assert editor.order() == [("cat", made.result.take_ids[1]), ("walk", "best")]
    editor.preview()
    assert all("<img" in row.thumb.value for row in editor.rows)
    result = editor.render()
    assert result is not None, editor.status.value
    assert [s.entry.shot for s in result.takes] == ["cat", "walk"]
    cat_entry = result.takes[0].entry
    assert cat_entry.in_s == 0.1  # the file's in point and crossfade stay with the shot
    assert [s.name for s in result.layout.segments] == ["title", "cat", "walk", "end"]
    assert result.layout.segments[1].fade_in == 6  # now from the title card
    assert "cut written" in editor.status.value and "<video" in editor.output.value


def test_the_cut_notebook_runs_on_a_fresh_store(tmp_path: Path) -> None:
    import papermill as pm

    from conftest import ROOT

    project = tmp_path / "prompts" / "mini.yaml"
    project.parent.mkdir()
    project.write_text(PROJECT.split("cut:")[0])
    out = tmp_path / "05_cut.out.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "05_cut.ipynb"),
        str(out),
        parameters={"project_file": str(project)},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    text = out.read_text()
    assert '"output_type": "error"' not in text
    assert "No accepted take yet for walk, cat" in text
    assert "application/vnd.jupyter.widget-view+json" in text


def test_the_signer_comes_from_the_environment_or_the_project_file(
    made: Made, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from takelab.post.credentials import CredentialsError, signing_config
    from takelab.project.cut_model import Credentials

    for name in ("CERT", "KEY", "TRUST"):
        monkeypatch.delenv(f"TAKELAB_C2PA_{name}", raising=False)
    assert signing_config(None, tmp_path) is None  # unsigned, with a warning
    folder = made.cert.parent
    config = signing_config(Credentials(cert="chain.pem", key="key.pem"), folder)
    assert config is not None and (config.cert, config.key) == (made.cert, made.key)
    assert config.trust == made.root  # root.pem beside the chain, as make_dev_cert writes
    monkeypatch.setenv("TAKELAB_C2PA_CERT", str(made.cert))
    with pytest.raises(CredentialsError, match="TAKELAB_C2PA_KEY is not set"):
        signing_config(Credentials(cert="chain.pem", key="key.pem"), folder)
    monkeypatch.setenv("TAKELAB_C2PA_KEY", str(tmp_path / "nokey.pem"))
    with pytest.raises(CredentialsError, match="key file not found"):
        signing_config(None, folder)
    assert (made.key.stat().st_mode & 0o777) == 0o600
