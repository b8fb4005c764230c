"""The cut mixes sound: each take keeps its own track (faded at cuts and crossfades), the
mix meets its loudness target, and the timelines carry the takes' sound as audio clips.

One previz sweep of three talking shots (1.5 s at 480p, each with a sound bed the animatic
synthesises) and one cut are made per module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from leftovers import ffmpeg_children, open_files
from takelab.home import Home
from takelab.media.audio_quality import loudness, measure_audio
from takelab.post import CutResult, make_cut
from takelab.post.mix import RATE, _envelope, decode
from takelab.post.timeline import read_timeline
from takelab.project.cut_model import Cut
from takelab.project.model import PromptFileError, project_from_text
from takelab.review.verdicts import record_verdict
from takelab.sweep.run import run_sweep

PROJECT = """\
project: talk
defaults:
  duration: 1.5
  aspect: "16:9"
  resolution: 480p
  audio: true
shots:
  - id: ask
    variants:
      - id: v1
        prompt: A woman at a noodle stall at night, static medium shot
        dialogue: [{speaker: the woman, line: "One bowl.", at: 0.2}]
  - id: answer
    variants:
      - id: v1
        prompt: An old cook behind a steaming counter, static close-up
        dialogue: [{speaker: the cook, line: "Spicy?", at: 0.1}]
        sound: a wok hisses
  - id: leave
    variants:
      - id: v1
        prompt: A woman walks into the rain, static wide shot
        sound: light rain on a tarp
cut:
  shots:
    - shot: ask
    - shot: answer
      transition: {type: crossfade, duration: 0.25}
    - shot: leave
"""


@dataclass
class Made:
    home: Path
    project: Path
    result: CutResult


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, mlflow_store_template: Path) -> Iterator[Made]:
    base = tmp_path_factory.mktemp("cutsound")
    home = base / "home"
    home.mkdir()
    shutil.copy(mlflow_store_template, home / "mlflow.db")
    project = base / "talk.yaml"
    project.write_text(PROJECT)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAKELAB_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        for name in ("CERT", "KEY", "TRUST"):
            mp.delenv(f"TAKELAB_C2PA_{name}", raising=False)
        sweep = run_sweep(project, progress=False, concurrency=1, home=Home(home))
        assert sweep.counts["done"] == 3, sweep.describe()
        for outcome in sweep.outcomes:
            record_verdict(outcome.take_id, "accept", home=Home(home))
        result = make_cut(project, progress=False, home=Home(home), sign=False)
    yield Made(home, project, result)


def test_every_take_has_sound_and_the_cut_keeps_it(made: Made) -> None:
    for seg in made.result.layout.segments:
        assert seg.take is not None
        assert measure_audio(seg.take.path, asked=True).flags == []
    q = measure_audio(made.result.video, asked=True)
    assert q.has_audio and q.flags == []
    assert q.silence_ratio is not None and q.silence_ratio < 0.5


def test_the_mix_meets_the_loudness_target(made: Made) -> None:
    lufs, peak = loudness(made.result.video)
    assert lufs == pytest.approx(-14.0, abs=1.0)
    assert peak is not None and peak < 0.5


def test_the_sound_is_faded_at_a_hard_cut(made: Made) -> None:
    sound = decode(made.result.video)
    leave = made.result.layout.segments[2]
    at = round(leave.start / made.result.layout.fps * RATE)
    # AAC's frame delay blurs the exact sample; the fade makes a dip across the cut.
    window = np.abs(sound[at - 2400 : at + 2400, 0])
    assert float(window.min()) < 0.05 * float(np.abs(sound[:, 0]).max())


def test_envelope_fades() -> None:
    env = _envelope(100, 10, 20)
    assert env[0] < 0.1 and env[50] == 1.0 and env[-1] < 0.05
    assert np.all(np.diff(env[:10]) > 0) and np.all(np.diff(env[-20:]) < 0)


def test_otio_has_the_takes_sound_as_audio_clips(made: Made) -> None:
    timeline = read_timeline(made.result.timelines["otio"], made.result.layout.fps)
    (audio,) = timeline.audio_tracks()
    clips = list(audio.find_clips())
    assert [c.name for c in clips] == [c.name for c in timeline.video_tracks()[0].find_clips()]
    assert len(clips) == 3
    urls = {c.media_reference.target_url for c in clips}
    assert urls == {s.take.path.resolve().as_uri() for s in made.result.layout.segments if s.take}
    assert any(isinstance(c, otio.schema.Transition) for c in audio)  # the crossfade
    assert audio.duration() == timeline.video_tracks()[0].duration()
    for ext in ("xml", "fcpxml"):
        back = read_timeline(made.result.timelines[ext], made.result.layout.fps)
        assert back.audio_tracks() and list(back.audio_tracks()[0].find_clips()), ext


def test_edl_events_carry_the_takes_sound(made: Made) -> None:
    edl = made.result.timelines["edl"].read_text()
    events = [line for line in edl.splitlines() if line[:3].isdigit()]
    assert events and all(" AA/V " in line for line in events), edl
    back = read_timeline(made.result.timelines["edl"], made.result.layout.fps)
    assert back.audio_tracks() and list(back.audio_tracks()[0].find_clips())


def test_a_cut_with_sound_leaves_no_ffmpeg_or_open_file(made: Made) -> None:
    home = Home(made.home)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAKELAB_HOME", str(made.home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        make_cut(made.project, progress=False, home=home, sign=False)  # opens MLflow for good
        files = open_files()
        again = make_cut(made.project, progress=False, home=home, sign=False)
    assert loudness(again.video)[0] == pytest.approx(-14.0, abs=1.0)
    assert ffmpeg_children() == []
    assert open_files() == files


def test_loudness_setting(tmp_path: Path) -> None:
    def cut_of(line: str) -> Cut:
        text = PROJECT.replace("cut:\n", f"cut:\n  {line}\n")
        cut = project_from_text(text, tmp_path / "talk.yaml").cut
        assert cut is not None
        return cut

    assert cut_of("loudness: -23").loudness == -23
    assert cut_of("loudness: off").loudness is None
    assert cut_of("title: Talk").loudness == -14
    with pytest.raises(PromptFileError, match="loudness 3 LUFS is out of range"):
        cut_of("loudness: 3")
    with pytest.raises(PromptFileError, match="loudness must be"):
        cut_of("loudness: loud")
