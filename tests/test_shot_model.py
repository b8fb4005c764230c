"""The shot model of today's generators: dialogue, sound, audio, references, end_image,
extend and beats load, render in each provider's structure, hash by content, and every
bad value (in the file, or for the chosen model) is one PromptFileError at its line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from takelab.backends import get_backend
from takelab.backends.lifecycle import model_rows
from takelab.backends.models import MODELS, Status
from takelab.cli import main
from takelab.project.model import PromptFileError, load_project
from takelab.sweep.plan import build_request, plan

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
MARK = "# <-"
EXAMPLE = Path(__file__).resolve().parents[1] / "prompts" / "night-market.yaml"

HEAD = """\
project: talk
defaults:
  duration: 8
  aspect: "16:9"
  resolution: 720p
shots:
  - id: s1
    variants:
      - id: v1
        subject: a woman at a stall
        action: orders noodles
        camera: medium shot
        lighting: warm bulbs
"""


def write(tmp_path: Path, extra: str, head: str = HEAD) -> Path:
    folder = tmp_path / "proj"
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    for name in ("a.png", "b.png", "c.png", "d.png", "end.png"):
        (folder / "refs" / name).write_bytes(PNG + name.encode())
    path = folder / "p.yaml"
    path.write_text(head + textwrap.indent(textwrap.dedent(extra), " " * 8), encoding="utf-8")
    return path


def error_at_mark(path: Path, *words: str) -> PromptFileError:
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = next(n for n, line in enumerate(lines, start=1) if MARK in line)
    with pytest.raises(PromptFileError) as caught:
        load_project(path)
    err = caught.value
    assert err.line == expected, str(err)
    assert str(err).startswith(f"{path}:{expected}")
    for word in words:
        assert word.lower() in str(err).lower(), str(err)
    return err


FULL = """\
audio: true
sound: sizzling woks
end_image: refs/end.png
references:
  - {image: refs/a.png, role: character}
  - refs/b.png
dialogue:
  - {speaker: Mia, line: "One bowl, extra spicy.", at: 1}
  - {speaker: the cook, line: "Sure?"}
beats:
  - {at: 0, action: she leans in}
  - {at: 4, action: she laughs, camera: push in}
"""


def test_every_new_field_loads_renders_and_is_in_the_hash(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    project = load_project(path)
    v = project.shots[0].variants[0]
    assert [d.speaker for d in v.dialogue] == ["Mia", "the cook"]
    assert v.dialogue[0].at == 1 and v.dialogue[1].at is None
    assert [(r.image, r.role) for r in v.references] == [
        ("refs/a.png", "character"),
        ("refs/b.png", None),
    ]
    assert v.end_image == "refs/end.png" and v.audio is True and v.sound == "sizzling woks"
    plain = v.render(project.defaults)
    assert 'Dialogue (at 1s): Mia says: "One bowl, extra spicy."' in plain
    assert "Sound: sizzling woks." in plain and "At 4s: she laughs (camera: push in)." in plain
    veo = v.render(project.defaults, "veo")
    order = ["Action:", "Camera:", "Ambience:", "Dialogue", "Sound:"]
    assert [veo.index(word) for word in order] == sorted(veo.index(word) for word in order)
    openai = v.render(project.defaults, "openai")
    blocks = openai.split("\n\n")
    assert blocks[1].startswith("Cinematography:") and blocks[2].startswith("Actions:")
    assert blocks[3].startswith("Dialogue:\n- Mia says:")
    # The hash covers the images' content, not just their names.
    before = v.hash(project.defaults, path.parent)
    (path.parent / "refs" / "a.png").write_bytes(PNG + b"changed")
    assert v.hash(project.defaults, path.parent) != before


def test_a_variant_without_new_fields_keeps_its_hash_and_take_id(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, ""))
    v = project.shots[0].variants[0]
    # The hash as it was computed before the new fields: a journal and MLflow runs made
    # then must find their variants and takes again.
    import hashlib

    old = {"subject", "secondary", "action", "camera", "lighting", "style", "prompt"}
    data = {k: val for k, val in v.model_dump().items() if k in old and val is not None}
    data.update(duration=8.0, aspect="16:9", resolution="720p")
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    assert v.hash(project.defaults, Path(".")) == hashlib.sha256(blob.encode()).hexdigest()[:16]
    request = build_request(project, project.shots[0], v, get_backend("previz"), 1)
    assert "audio" not in json.dumps(request.model_dump(exclude_defaults=True))
    with_sound = load_project(write(tmp_path, "sound: rain\n"))
    v2 = with_sound.shots[0].variants[0]
    other = build_request(with_sound, with_sound.shots[0], v2, get_backend("previz"), 1)
    assert other.take_id != request.take_id
    silent = load_project(write(tmp_path, "audio: false\n"))
    v3 = silent.shots[0].variants[0]
    third = build_request(silent, silent.shots[0], v3, get_backend("previz"), 1)
    assert third.take_id != request.take_id  # audio on or off is a different take


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("references:\n  - refs/missing.png  # <-\n", ["not found", "missing.png"]),
        ("references:\n  - image: ../../outside.png  # <-\n", ["outside the project"]),
        ("references:\n  - {image: refs/a.png, role: hero}  # <-\n", ["role", "character"]),
        ("end_image: refs/nope.png  # <-\n", ["end_image file", "nope.png"]),
        ("dialogue:\n  - {line: hello}  # <-\n", ["speaker"]),
        ("dialogue:\n  - {speaker: Mia, line: hi, at: 9}  # <-\n", ["inside the 8-second"]),
        ("dialogue: hello  # <-\n", ["must be a list"]),
        ("beats:\n  - {action: jumps}  # <-\n", ["at"]),
        ("audio: maybe  # <-\n", ["true or false"]),
        ("extend: not-a-take  # <-\n", ["take id"]),
        ("audio: false\ndialogue:  # <-\n  - {speaker: Mia, line: hi}\n", ["audio is false"]),
    ],
)
def test_bad_values_are_one_error_at_their_line(
    tmp_path: Path, extra: str, words: list[str]
) -> None:
    (tmp_path / "outside.png").write_bytes(PNG)
    error_at_mark(write(tmp_path, extra), *words)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


@pytest.mark.parametrize(
    ("extra", "backend", "field", "can"),
    [
        ("dialogue:  # <-\n  - {speaker: Mia, line: hi}\n", "runway:gen4.5", "dialogue", "veo:"),
        (
            "references:  # <-\n  - refs/a.png\n  - refs/b.png\n  - refs/c.png\n  - refs/d.png\n",
            "veo",
            "references",
            "previz:",
        ),
        ("image: refs/a.png\nend_image: refs/end.png  # <-\n", "luma", "end_image", "veo:"),
        ("audio: true  # <-\n", "replicate", "audio", "fal:fal-ai/kling-video/v3"),
    ],
)
def test_lint_and_estimate_refuse_what_the_model_cannot_do(
    tmp_path: Path, extra: str, backend: str, field: str, can: str
) -> None:
    path = write(tmp_path, extra)
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if MARK in text)
    for command in ("lint", "estimate"):
        code, output = cli(command, str(path), "--backend", backend)
        assert code == 2, output
        assert f"{path}:{line}" in output and f"{field}:" in output and can in output, output
    code, output = cli("estimate", str(path), "--backend", "previz")
    assert code == 0, output  # previz draws everything


def test_extend_of_an_unknown_take_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "extend: 0123abcd  # <-\n")
    project = load_project(path)
    with pytest.raises(PromptFileError) as caught:
        plan(project, backends=["previz"], takes=lambda prefix: None)
    assert caught.value.line == 14 and "no take '0123abcd'" in str(caught.value)


def test_audio_raises_the_estimate_where_priced(tmp_path: Path) -> None:
    spec = "fal:fal-ai/kling-video/v3/standard/text-to-video"
    loud = write(tmp_path, "audio: true\n")
    code, output = cli("estimate", str(loud), "--backend", spec)
    assert code == 0 and "1.01" in output, output  # 8 s x $0.126
    quiet = write(tmp_path, "audio: false\n")
    code, output = cli("estimate", str(quiet), "--backend", spec)
    assert code == 0 and "0.67" in output, output  # 8 s x $0.084


def test_the_example_shows_dialogue_references_and_first_and_last_frame() -> None:
    project = load_project(EXAMPLE)
    variants = [v for s in project.shots for v in s.variants]
    assert any(v.dialogue for v in variants)
    assert any(v.references for v in variants)
    assert any(v.image and v.end_image for v in variants)
    for spec in ("previz", "veo"):
        assert plan(project, backends=[spec])


def test_the_model_table_has_a_status_source_and_date_for_every_model() -> None:
    for info in MODELS.values():
        assert info.source and info.date
        if info.status is Status.RETIRED:
            assert info.shutdown
    rows = {(r["backend"], r["model"]): r for r in model_rows()}
    kling = rows[("fal", "fal-ai/kling-video/v3/standard/text-to-video")]
    assert (kling["usd_per_s"], kling["usd_per_s_audio"]) == (0.084, 0.126)
    assert "multi-shot" in kling["can"] and "audio" in kling["can"]
    veo = rows[("veo", "veo-3.1-generate-preview")]
    assert veo["status"] == "retired" and veo["replacement"] == "veo:veo-3.1-generate-001"


def test_backends_prints_status_prices_and_capabilities_as_words() -> None:
    code, output = cli("backends")
    assert code == 0, output
    assert "retired" in output and "2026-10-22" in output
    assert "0.084" in output and "0.126" in output
    assert "last frame" in output and "True" not in output
    code, output = cli("backends", "--format", "json")
    data = {row["name"]: row for row in json.loads(output)}
    assert any(m["status"] == "retired" for m in data["veo"]["model_table"])
    assert "dialogue" in data["previz"]["can"]


def test_new_fields_round_trip_through_studio_edits(tmp_path: Path) -> None:
    import shutil

    from takelab.widgets.project_edit import duplicate_variant, update_variant

    folder = tmp_path / "prompts"
    shutil.copytree(EXAMPLE.parent / "refs", folder / "refs")
    path = folder / EXAMPLE.name
    shutil.copy(EXAMPLE, path)
    comments = [line for line in EXAMPLE.read_text().splitlines() if "#" in line]
    duplicate_variant(path, "order", "v1", commit=False)
    update_variant(
        path,
        "order",
        "v3",
        {
            "dialogue": [{"speaker": "Mia", "line": "Two bowls.", "at": 2}],
            "sound": "a bell rings",
            "audio": True,
            "end_image": "refs/street-end.png",
            "beats": [{"at": 0, "action": "she waves"}],
            "references": [{"image": "refs/woman-raincoat.png", "role": "character"}],
        },
        commit=False,
    )
    project = load_project(path)
    original, copy = project.shot("order").variant("v1"), project.shot("order").variant("v3")
    assert copy.dialogue[0].line == "Two bowls." and copy.dialogue[0].at == 2
    assert copy.sound == "a bell rings" and copy.audio is True
    assert copy.end_image == "refs/street-end.png" and copy.beats[0].action == "she waves"
    assert [r.image for r in copy.references] == ["refs/woman-raincoat.png"]
    assert original.dialogue and original.references  # the source is untouched
    text = path.read_text()
    assert all(line in text for line in comments)  # comments kept
    # Clearing a field removes it.
    update_variant(path, "order", "v3", {"dialogue": [], "end_image": None}, commit=False)
    cleared = load_project(path).shot("order").variant("v3")
    assert not cleared.dialogue and cleared.end_image is None


def test_a_sweep_naming_a_retired_model_is_refused_before_any_create(tmp_path: Path) -> None:
    from fakes.veo_fake import VeoFake

    path = write(tmp_path, "")
    with VeoFake().running() as fake:
        env = {"GEMINI_API_KEY": fake.key, "GOOGLE_VERTEX_BASE_URL": fake.url}
        result = CliRunner().invoke(
            main, ["sweep", str(path), "--backend", "veo:veo-3.0-generate-001"], env=env
        )
        assert result.exit_code == 2, result.output
        assert "retired on 2026-06-30" in result.output
        assert "veo:veo-3.1-generate-001" in result.output
        assert fake.creates == 0 and fake.requests == 0


def test_a_deprecated_model_warns_with_its_date(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import dataclasses

    from takelab.backends import models

    key = ("veo", "veo-2.0-generate-001")
    old = models.MODELS[key]
    monkeypatch.setitem(
        models.MODELS,
        key,
        dataclasses.replace(old, status=Status.DEPRECATED, shutdown="2027-03-01"),
    )
    get_backend("veo:veo-2.0-generate-001")
    assert "deprecated and shuts down on 2027-03-01" in caplog.text


def test_the_example_sweeps_on_previz_with_every_new_field(tmp_path: Path) -> None:
    import shutil

    from takelab.sweep.run import run_sweep

    folder = tmp_path / "prompts"
    shutil.copytree(EXAMPLE.parent / "refs", folder / "refs")
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    result = run_sweep(
        folder / EXAMPLE.name,
        backends=["previz"],
        variants=["order/v1", "walk-away/v1"],
        progress=False,
    )
    assert [o.status for o in result.outcomes] == ["done", "done"], result.outcomes


def test_a_last_frame_without_a_first_is_refused_where_the_model_needs_both(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "end_image: refs/end.png  # <-\n")
    code, output = cli("estimate", str(path), "--backend", "veo")
    assert code == 2 and f"{path}:14" in output and "first frame" in output, output
    code, output = cli("estimate", str(path), "--backend", "previz")
    assert code == 0, output
