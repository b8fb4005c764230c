"""The `cut:` section of a project file: a full one loads with its defaults and short
forms, and each kind of mistake is one PromptFileError at the marked line with a hint.
Also the colour grade: .cube LUTs (1D and 3D) and lift / gamma / gain."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from takelab.post.grade import apply_lut, grader, read_cube
from takelab.project.cut_model import DEFAULT_DISCLOSURE, Grade
from takelab.project.model import PromptFileError, load_project

MARK = "# <-"
HEAD = """\
project: mini
defaults:
  duration: 2
  resolution: 480p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: A woman walks toward the camera at night, slow dolly back, neon light
  - id: cat
    variants:
      - id: v1
        prompt: A black cat jumps onto a windowsill, handheld, soft morning light
      - id: v2
        prompt: A black cat stretches on a windowsill, static close-up, golden hour
        duration: 3
"""


def write(folder: Path, cut: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bed.wav").write_bytes(b"RIFF")  # only its existence is checked on load
    (folder / "look.cube").write_text("LUT_3D_SIZE 2\n" + "0 0 0\n" * 8)
    path = folder / "mini.yaml"
    path.write_text(HEAD + textwrap.dedent(cut))
    return path


def expect_error(tmp_path: Path, cut: str, *words: str) -> PromptFileError:
    path = write(tmp_path, cut)
    lines = path.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if MARK in text)
    with pytest.raises(PromptFileError) as info:
        load_project(path)
    err = info.value
    assert err.line == line, str(err)
    assert str(err).startswith(f"{path}:{line}"), str(err)
    assert err.hint, str(err)
    for word in words:
        assert word.lower() in str(err).lower(), f"{word!r} not in {err}"
    return err


def test_a_full_cut_section_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        cut:
          title: {text: "Mini", duration: 1.5, background: navy, style: {color: "#ffcc00"}}
          shots:
            - shot: walk
              in: 0.25
              out: 1.75
              overlays:
                - text: Tokyo, 2 a.m.
                  start: 0.2
                  end: 1
                  style: {size: 40, color: white, font: DejaVuSans.ttf}
                - {text: Top, position: top}
                - {text: Here, position: [0.1, 0.2]}
            - shot: cat
              take: 0123abcd
              transition: crossfade
            - shot: walk
              transition: {type: crossfade, duration: 0.25}
          end: Made with takelab
          audio: {file: bed.wav, fade_in: 1, fade_out: 2, level: -6}
          grade: {lift: 0.02, gamma: [1.1, 1, 0.9]}
        """,
    )
    cut = load_project(path).cut
    assert cut is not None
    assert [e.shot for e in cut.shots] == ["walk", "cat", "walk"]
    walk, cat, again = cut.shots
    assert (walk.take, walk.in_s, walk.out_s) == ("best", 0.25, 1.75)
    assert [o.position for o in walk.overlays] == ["lower-third", "top", (0.1, 0.2)]
    assert walk.overlays[0].style.size == 40 and walk.overlays[0].end == 1
    assert cat.take == "0123abcd" and cat.transition.crossfade
    assert cat.transition.duration == 0.5  # the default crossfade
    assert again.transition.duration == 0.25
    assert cut.title is not None and cut.title.style.color == "#ffcc00"
    assert cut.end is not None and (cut.end.text, cut.end.duration) == ("Made with takelab", 2)
    assert cut.audio is not None and cut.audio.level == -6
    assert cut.grade is not None and cut.grade.lift == (0.02, 0.02, 0.02)
    assert cut.grade.gamma == (1.1, 1.0, 0.9) and cut.grade.gain == (1, 1, 1)
    assert (cut.disclosure.text, cut.disclosure.burn_in) == (DEFAULT_DISCLOSURE, True)
    lines = path.read_text().splitlines()
    line = cut.line_of("shots", 1, "take")
    assert line is not None and "take: 0123abcd" in lines[line - 1]


def test_no_cut_section_and_a_cut_without_shots(tmp_path: Path) -> None:
    assert load_project(write(tmp_path / "a", "")).cut is None
    cut = load_project(write(tmp_path / "b", "cut:\n  disclosure: Made with AI\n")).cut
    assert cut is not None and [e.shot for e in cut.shots] == ["walk", "cat"]
    assert cut.disclosure.text == "Made with AI" and cut.disclosure.burn_in


@pytest.mark.parametrize(
    ("cut", "words"),
    [
        ("cuts:  # <-\n  shots: [walk]\n", ["unknown key 'cuts'", "did you mean 'cut'"]),
        ("cut:\n  shot: [walk]  # <-\n", ["unknown key 'shot' in cut", "did you mean 'shots'"]),
        (
            "cut:\n  shots:\n    - shot: walk\n      trasition: cut  # <-\n",
            ["unknown key 'trasition'", "did you mean 'transition'"],
        ),
        ("cut:\n  shots: [walk, cta]  # <-\n", ["unknown shot 'cta'", "did you mean 'cat'"]),
        (
            "cut:\n  shots:\n    - shot: dog  # <-\n",
            ["unknown shot 'dog'", "shots in this file: walk, cat"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      in: 1.5  # <-\n      out: 1\n",
            ["in (1.5 s) must come before out (1 s)"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      in: 2  # <-\n",
            ["past the end of the 2-second take"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      out: -1  # <-\n",
            ["out must be 0 seconds or more"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      in: 1s  # <-\n",
            ["in must be a number of seconds", "without quotes or units"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      take: 12345678  # <-\n",
            ["take must be `best` or a take id", 'take: "12345678"'],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      take: newest  # <-\n",
            ["neither `best` nor a take id"],
        ),
        (
            "cut:\n  title: Hi\n  shots:\n    - shot: walk\n      transition: crosfade  # <-\n",
            ["unknown transition 'crosfade'", "did you mean 'crossfade'"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      transition: crossfade  # <-\n",
            ["first shot", "cannot cross-fade", "title"],
        ),
        (
            "cut:\n  shots:\n    - walk\n    - shot: cat\n      transition:\n"
            "        type: crossfade\n        duration: 2.5  # <-\n",
            ["2.5 s crossfade is longer than shot 'cat' (2 s)"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      out: 0.5\n    - shot: cat\n"
            "      transition: {type: crossfade, duration: 1}  # <-\n",
            ["1 s crossfade is longer than shot 'walk' (0.5 s)"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      transition: {type: cut, duration: 1}  # <-\n",
            ["a cut has no duration"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      overlays:\n        - text: Hi\n"
            "          start: 1\n          end: 0.5  # <-\n",
            ["end (0.5 s) must come after start (1 s)"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      overlays:\n        - text: Hi\n"
            "          start: 3  # <-\n",
            ["starts at 3 s but the shot lasts 2 s"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      overlays:\n        - text: Hi\n"
            "          position: lower-thrid  # <-\n",
            ["unknown position 'lower-thrid'", "did you mean 'lower-third'"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      overlays:\n        - text: Hi\n"
            "          position: [0.5, 2]  # <-\n",
            ["position must be a name or [x, y]", "fractions of the frame"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      overlays:\n        - position: top  # <-\n",
            ["has no `text:`"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      overlays:\n        - text: Hi\n"
            "          style: {color: reddish}  # <-\n",
            ["'reddish' is not a colour", "#rrggbb"],
        ),
        (
            "cut:\n  shots:\n    - shot: walk\n      overlays:\n        - text: Hi\n"
            "          style: {font: NoSuchFont.ttf}  # <-\n",
            ["font 'NoSuchFont.ttf' not found"],
        ),
        ("cut:\n  title: {text: Hi, background: 12}  # <-\n", ["background must be a colour"]),
        ("cut:\n  end: {duration: 2}  # <-\n", ["end card has no `text:`"]),
        ("cut:\n  audio: music.wav  # <-\n", ["audio file 'music.wav' not found", "relative"]),
        (
            "cut:\n  audio:\n    file: bed.wav\n    level: +40  # <-\n",
            ["audio: level 40 dB is out of range"],
        ),
        (
            "cut:\n  audio:\n    file: bed.wav\n    fadein: 1  # <-\n",
            ["unknown key 'fadein' in audio", "did you mean 'fade_in'"],
        ),
        ("cut:\n  grade: {lut: film.cube}  # <-\n", ["LUT file 'film.cube' not found"]),
        ("cut:\n  grade: {lut: bed.wav}  # <-\n", ["is not a .cube file"]),
        (
            "cut:\n  grade:\n    lut: look.cube\n    gain: 1.2  # <-\n",
            ["grade has both lut: and gain"],
        ),
        ("cut:\n  grade:\n    gamma: 0  # <-\n", ["grade: gamma 0 is out of range"]),
        ("cut:\n  grade:\n    lift: [0.1, 0.2]  # <-\n", ["must be a number or [r, g, b]"]),
        ("cut:\n  disclosure: false  # <-\n", ["cannot be switched off", "burn_in: false"]),
        (
            "cut:\n  disclosure:\n    burn_in: no thanks  # <-\n",
            ["burn_in must be true or false"],
        ),
        (
            "cut:\n  credentials: {cert: chain.pem, key: key.pem}  # <-\n",
            ["certificate file 'chain.pem' not found"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and "\n" not in v else None,
)
def test_a_malformed_cut_is_one_error_at_its_line(
    tmp_path: Path, cut: str, words: list[str]
) -> None:
    expect_error(tmp_path, cut, *words)


# --- colour grades ------------------------------------------------------------------------


def cube(path: Path, size: int, fn: object) -> Path:
    grid = np.linspace(0.0, 1.0, size)
    rows = [f"LUT_3D_SIZE {size}", "# red changes fastest"]
    assert callable(fn)
    for b in grid:
        for g in grid:
            for r in grid:
                rows.append("{:.6f} {:.6f} {:.6f}".format(*fn(r, g, b)))
    path.write_text("\n".join(rows) + "\n")
    return path


def frame() -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)


def test_a_3d_lut_grades_frames(tmp_path: Path) -> None:
    f = frame().astype(int)
    identity = grader(
        Grade(lut=str(cube(tmp_path / "id.cube", 17, lambda r, g, b: (r, g, b)))), tmp_path
    )
    assert identity is not None
    assert np.abs(identity(frame()).astype(int) - f).max() <= 1
    cube(tmp_path / "swap.cube", 33, lambda r, g, b: (1 - r, b, g))
    graded = grader(Grade(lut="swap.cube"), tmp_path)  # relative to the project folder
    assert graded is not None
    out = graded(frame()).astype(int)
    assert np.abs(out[..., 0] - (255 - f[..., 0])).max() <= 1
    assert np.abs(out[..., 1] - f[..., 2]).max() <= 1 and np.abs(out[..., 2] - f[..., 1]).max() <= 1
    # the fast path (a resampled table) agrees with exact trilinear interpolation
    warm = cube(tmp_path / "warm.cube", 9, lambda r, g, b: (r**0.7, (g + b) / 2, b**1.5))
    fast = grader(Grade(lut=str(warm)), tmp_path)
    assert fast is not None
    exact = apply_lut(frame(), read_cube(warm)).astype(int)
    assert np.abs(fast(frame()).astype(int) - exact).max() <= 1
    assert np.abs(exact - f).mean() > 10  # ...and it did change the picture


def test_a_1d_lut_and_lift_gamma_gain(tmp_path: Path) -> None:
    (tmp_path / "half.cube").write_text("LUT_1D_SIZE 2\n0 0 0\n1 0.5 1\n")
    half = grader(Grade(lut="half.cube"), tmp_path)
    assert half is not None
    f = frame().astype(int)
    out = half(frame()).astype(int)
    assert np.abs(out[..., 1] - f[..., 1] / 2).max() <= 1 and np.array_equal(out[..., 0], f[..., 0])
    assert grader(Grade(), tmp_path) is None  # nothing to do
    lgg = grader(Grade(lift=(0.2, 0, 0), gamma=(1, 2, 1), gain=(1, 1, 0.5)), tmp_path)
    assert lgg is not None
    black_white = np.array([[[0, 0, 0], [255, 255, 255], [64, 64, 64]]], np.uint8)
    out = lgg(black_white).astype(int)
    assert out[0, 0, 0] == 51 and out[0, 1, 0] == 255  # lift raises black, keeps white
    assert out[0, 2, 1] == 128  # gamma 2: 0.25 -> 0.5
    assert out[0, 1, 2] == 128  # gain 0.5


def test_a_malformed_lut_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.cube"
    path.write_text("TITLE x\nLUT_3D_SIZE 2\n0 0 0\n0 0 zero\n")
    with pytest.raises(PromptFileError) as info:
        read_cube(path)
    assert info.value.path == path and info.value.line == 4
    path.write_text("LUT_3D_SIZE 2\n0 0 0\n")
    with pytest.raises(PromptFileError, match="1 data lines for a size-2 LUT"):
        read_cube(path)
