"""Project files: the examples load, variants render and hash stably, and every kind of
malformed file is reported as one PromptFileError at the right line with a useful hint."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from ruamel.yaml import YAML

from takelab.project.model import (
    ASPECTS,
    RESOLUTIONS,
    STRUCTURED_FIELDS,
    Project,
    PromptFileError,
    Variant,
    VariantSettings,
    load_project,
    project_from_text,
)
from takelab.rule_ids import RULE_IDS

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
EXAMPLES = sorted(PROMPTS.glob("*.yaml"))
MARK = "# <-"

GOOD = """\
project: demo
goal: a test film
budget_usd: 5
defaults:
  duration: 8
  aspect: "16:9"
  resolution: 720p
  negative: text, watermark
shots:
  - id: street
    notes: opening
    variants:
      - id: v1
        prompt: A cat walks along a wall at dusk. Slow pan. Warm streetlight.
      - id: v2
        subject: a cat
        secondary: a sparrow on a fence
        action: walks along a wall, then looks up
        camera: slow pan left at eye level
        lighting: warm streetlight flickering on
        style: 35mm film
        duration: 4
        aspect: "9:16"
"""


def write(tmp_path: Path, text: str | bytes, name: str = "project.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def marked_line(path: Path) -> int:
    """The 1-based line that carries the `# <-` marker: where the error must point."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if MARK in line)


def load_error(path: Path) -> PromptFileError:
    with pytest.raises(PromptFileError) as info:
        load_project(path)
    return info.value


def expect_error(
    tmp_path: Path, text: str | bytes, *words: str, line: int | None = None
) -> PromptFileError:
    """Load `text` from a file; the error must point at `line` (default: the marked line),
    start with `file:line` and mention each of `words` (in message or hint)."""
    path = write(tmp_path, text)
    expected = line if line is not None else marked_line(path)
    err = load_error(path)
    assert err.line == expected, str(err)
    assert str(err).startswith(f"{path}:{expected}"), str(err)
    assert err.hint, str(err)
    full = str(err).lower()
    for word in words:
        assert word.lower() in full, f"{word!r} not in {err}"
    return err


# --- the examples ------------------------------------------------------------------------


def test_there_are_examples() -> None:
    assert {"tokyo-rain.yaml", "mammoth-snow.yaml", "paper-craft.yaml"} <= {
        p.name for p in EXAMPLES
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_loads_and_is_a_good_demo(path: Path) -> None:
    project = load_project(path)
    assert project.project == path.stem
    assert project.path == path.resolve()
    assert len(project.shots) >= 2
    kinds = set()
    for shot in project.shots:
        assert len(shot.variants) >= 2, shot.id
        for variant in shot.variants:
            kinds.add(variant.structured)
            assert variant.render(project.defaults)
            image = project.image_path(variant)
            assert image is None or image.is_file()
    assert kinds == {True, False}, "mix free-text and structured variants"
    # the demo renders these: keep them short and cheap
    assert project.defaults.duration is not None and project.defaults.duration <= 8
    assert project.defaults.resolution == "720p"
    assert project.defaults.aspect == "16:9"


def test_example_lines_point_at_the_shots_and_variants() -> None:
    path = PROMPTS / "tokyo-rain.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    project = load_project(path)
    shot_line = project.line_of("shot", "street-walk")
    assert shot_line is not None and "id: street-walk" in lines[shot_line - 1]
    v2 = project.line_of("shot", "street-walk", "variant", "v2")
    assert v2 is not None and "id: v2" in lines[v2 - 1]
    camera = project.line_of("shot", "street-walk", "variant", "v2", "camera")
    assert camera is not None and lines[camera - 1].strip().startswith("camera:")


# --- rendering, defaults, hashing -------------------------------------------------------


def test_structured_fields_render_to_prompt_text(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, GOOD))
    v2 = project.shot("street").variant("v2")
    assert v2.structured
    assert v2.render(project.defaults) == (
        "A cat walks along a wall, then looks up. In the scene, a sparrow on a fence. "
        "Camera: slow pan left at eye level. Lighting: warm streetlight flickering on. "
        "Style: 35mm film."
    )
    v1 = project.shot("street").variant("v1")
    assert not v1.structured
    assert v1.render() == "A cat walks along a wall at dusk. Slow pan. Warm streetlight."


def test_free_text_prompt_whitespace_is_folded(tmp_path: Path) -> None:
    text = GOOD.replace(
        "        prompt: A cat walks along a wall at dusk. Slow pan. Warm streetlight.\n",
        "        prompt: |\n          A cat walks along a wall.\n\n          Slow pan.\n",
    )
    project = load_project(write(tmp_path, text))
    assert project.shot("street").variant("v1").render() == "A cat walks along a wall. Slow pan."


def test_defaults_are_applied_where_the_variant_is_silent(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, GOOD))
    assert project.defaults == VariantSettings(
        duration=8, aspect="16:9", resolution="720p", negative="text, watermark"
    )
    v1 = project.shot("street").variant("v1").resolved(project.defaults)
    assert (v1.duration, v1.aspect, v1.resolution, v1.negative) == (
        8,
        "16:9",
        "720p",
        "text, watermark",
    )
    v2 = project.shot("street").variant("v2").resolved(project.defaults)
    assert (v2.duration, v2.aspect, v2.resolution) == (4, "9:16", "720p")
    assert project.budget_usd == 5
    assert project.goal == "a test film"


def test_text_values_are_stripped(tmp_path: Path) -> None:
    text = GOOD.replace("id: street\n", "id: '  street  '\n").replace(
        "subject: a cat\n", "subject: '   a cat   '\n"
    )
    project = load_project(write(tmp_path, text))
    assert project.shot("street").variant("v2").subject == "a cat"


def test_a_yaml_merge_key_can_share_fields_between_variants(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        project: demo
        shots:
          - id: street
            variants:
              - &base
                id: v1
                subject: a cat
                camera: slow pan
              - <<: *base
                id: v2
                lighting: dusk
        """,
    )
    v2 = load_project(path).shot("street").variant("v2")
    assert (v2.subject, v2.camera, v2.lighting) == ("a cat", "slow pan", "dusk")


def hash_of(project: Project, shot: str, variant: str) -> str:
    return project.shot(shot).variant(variant).hash(project.defaults)


def test_variant_hash_is_stable_and_content_addressed(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first, second = load_project(path), load_project(path)
    assert hash_of(first, "street", "v2") == hash_of(second, "street", "v2")
    assert hash_of(first, "street", "v1") != hash_of(first, "street", "v2")

    renamed = load_project(write(tmp_path, GOOD.replace("- id: v2", "- id: take-b"), "b.yaml"))
    assert hash_of(renamed, "street", "take-b") == hash_of(first, "street", "v2")

    edited = load_project(
        write(tmp_path, GOOD.replace("slow pan left", "slow pan right"), "c.yaml")
    )
    assert hash_of(edited, "street", "v2") != hash_of(first, "street", "v2")

    # v1 takes its duration from the defaults, so changing them changes what it asks for
    longer = load_project(write(tmp_path, GOOD.replace("duration: 8", "duration: 6"), "d.yaml"))
    assert hash_of(longer, "street", "v1") != hash_of(first, "street", "v1")


def test_variant_hash_ignores_allow_and_is_a_short_hex_string() -> None:
    plain = Variant(id="v1", prompt="a cat walks")
    allowed = Variant(id="v9", prompt="a cat walks", allow=["no-camera"])
    assert plain.hash() == allowed.hash()
    assert len(plain.hash()) == 16 and int(plain.hash(), 16) >= 0


def test_every_model_of_the_file_forbids_unknown_keys() -> None:
    """The models are the one validator: each mapping of the file is a model with
    extra="forbid", so no key can slip past them."""
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        assert model.model_config.get("extra") == "forbid", model.__name__
        for field in model.model_fields.values():
            for inner in _models_in(field.annotation):
                walk(inner)

    walk(Project)
    assert {m.__name__ for m in seen} >= {"Variant", "Shot", "Cut", "CutShot", "Overlay"}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def test_project_from_text_validates_without_a_file(tmp_path: Path) -> None:
    path = tmp_path / "unsaved.yaml"
    assert project_from_text(GOOD, path).project == "demo"
    with pytest.raises(PromptFileError) as info:
        project_from_text(GOOD.replace("duration: 4", "duration: four"), path)
    assert info.value.line == 22
    assert str(info.value).startswith(f"{path}:22:")


# --- files that cannot be read ----------------------------------------------------------


def test_missing_file_suggests_a_close_name(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "tokyo-rain.yaml")
    path = tmp_path / "tokyo-rian.yaml"
    err = load_error(path)
    assert str(err).startswith(f"{path}: ")
    assert "not found" in err.message
    assert err.hint is not None and "tokyo-rain.yaml" in err.hint


def test_directory_is_not_a_project_file(tmp_path: Path) -> None:
    err = load_error(tmp_path)
    assert str(err).startswith(f"{tmp_path}: ")
    assert "directory" in err.message
    assert err.hint is not None and ".yaml" in err.hint


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, GOOD)

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    err = load_error(path)
    assert str(err).startswith(f"{path}: ")
    assert "permission denied" in err.message
    assert err.hint is not None and "chmod" in err.hint


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n# and another\n", "---\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    expect_error(tmp_path, text, "empty", "project:", line=1)


def test_non_utf8_bytes_point_at_the_first_bad_byte(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path, b"project: demo\nshots:\n  - id: caf\xe9\n", "UTF-8", "0xe9", line=3
    )
    assert err.column == 12


# --- YAML that does not parse -----------------------------------------------------------


def test_yaml_syntax_error_points_at_the_problem(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path,
        """\
        project: demo
        shots:
          - id: street
            variants:
              - id: v1
                prompt: A cat: walks on a wall  # <-
        """,
        "YAML syntax error",
        "quotes",
    )
    assert err.column == 22


def test_yaml_tab_indentation(tmp_path: Path) -> None:
    expect_error(tmp_path, "project: demo\nshots:\n\t- id: street\n", "tabs", line=3)


def test_yaml_unclosed_flow_list_names_where_it_opened(tmp_path: Path) -> None:
    expect_error(
        tmp_path,
        "project: demo\nshots: [street\ngoal: x\n",
        "started on line 2",
        "close",
        line=3,
    )


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    expect_error(tmp_path, "# a list\n- street\n- alley\n", "top level", "project:", line=2)


def test_top_level_scalar_is_not_a_mapping(tmp_path: Path) -> None:
    expect_error(tmp_path, "# hello\n\njust some words\n", "top level", line=3)


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    expect_error(
        tmp_path,
        """\
        project: demo
        shots:
          - id: street
            variants:
              - id: v1
                prompt: a cat walks
                prompt: a dog walks  # <-
        """,
        "duplicate key 'prompt'",
        "remove",
    )


# --- structure ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ("project: demo\nbudget: 5  # <-\nshots: []\n", "budget", "budget_usd"),
        ("project: demo\ndefaults:\n  durations: 8  # <-\nshots: []\n", "durations", "duration"),
        (
            "project: demo\nshots:\n  - id: a\n    note: x  # <-\n    variants: []\n",
            "note",
            "notes",
        ),
        (
            "project: demo\nshots:\n  - id: a\n    variants:\n"
            "      - id: v1\n        prompt: x\n        camra: slow pan  # <-\n",
            "camra",
            "camera",
        ),
    ],
    ids=["top", "defaults", "shot", "variant"],
)
def test_unknown_key_suggests_the_close_one(
    tmp_path: Path, text: str, key: str, suggestion: str
) -> None:
    err = expect_error(tmp_path, text, f"unknown key '{key}'")
    assert err.hint == f"did you mean {suggestion!r}?"


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path,
        "project: demo\nshots:\n  - id: a\n    variants:\n"
        "      - id: v1\n        prompt: x\n        mood: gloomy  # <-\n",
        "unknown key 'mood'",
    )
    assert err.hint is not None and "subject" in err.hint and "lighting" in err.hint


def test_variant_key_on_a_shot_says_where_it_belongs(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path,
        "project: demo\nshots:\n  - id: a\n    prompt: a cat  # <-\n",
        "unknown key 'prompt'",
    )
    assert err.hint is not None and "variants:" in err.hint


def test_variant_only_key_in_defaults(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path,
        "project: demo\ndefaults:\n  image: a.png  # <-\nshots: []\n",
        "unknown key 'image'",
    )
    assert err.hint is not None and "each variant" in err.hint


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("goal: x  # <-\nshots: []\n", ("missing `project:`", "project: tokyo-rain")),
        ("project: demo  # <-\ngoal: x\n", ("missing `shots:`", "- id:")),
        (
            "project: demo\nshots:\n  - notes: x  # <-\n    variants: []\n",
            ("shot #1 has no `id:`", "id: shot-1"),
        ),
        ("project: demo\nshots:\n  - id: a  # <-\n    notes: x\n", ("has no `variants:`",)),
        (
            "project: demo\nshots:\n  - id: a\n    variants:\n      - prompt: x  # <-\n",
            ("variant #1 has no `id:`", "id: v1"),
        ),
    ],
    ids=["project", "shots", "shot-id", "variants", "variant-id"],
)
def test_missing_required_key(tmp_path: Path, text: str, words: tuple[str, ...]) -> None:
    expect_error(tmp_path, text, *words)


def test_empty_shots_list(tmp_path: Path) -> None:
    expect_error(tmp_path, "project: demo\nshots: []  # <-\n", "shots is empty", "- id:")


def test_shots_with_no_value(tmp_path: Path) -> None:
    expect_error(tmp_path, "project: demo\nshots:  # <-\n", "shots is empty")


def test_empty_variants_list(tmp_path: Path) -> None:
    expect_error(
        tmp_path,
        "project: demo\nshots:\n  - id: a\n    variants: []  # <-\n",
        "shot 'a' has no variants",
        "- id: v1",
    )


def test_duplicate_shot_id(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path,
        GOOD + "  - id: street  # <-\n    variants:\n      - id: v1\n        prompt: x\n",
        "duplicate shot id 'street'",
        "first used on line 10",
    )
    assert err.hint is not None and "street-2" in err.hint


def test_duplicate_variant_id_in_a_shot(tmp_path: Path) -> None:
    expect_error(
        tmp_path,
        GOOD + "      - id: v2  # <-\n        prompt: another take\n",
        "duplicate variant id 'v2' in shot 'street'",
        "v3",
    )


def test_same_variant_id_in_two_shots_is_fine(tmp_path: Path) -> None:
    text = GOOD + "  - id: alley\n    variants:\n      - id: v1\n        prompt: a dog sits\n"
    assert load_project(write(tmp_path, text)).shot("alley").variant("v1").prompt == "a dog sits"


# --- prompt or structured fields ----------------------------------------------------------


def test_prompt_and_structured_fields_together(tmp_path: Path) -> None:
    expect_error(
        tmp_path,
        """\
        project: demo
        shots:
          - id: a
            variants:
              - id: v1
                prompt: a cat walks on a wall
                style: 35mm film
                camera: slow pan  # <-
                lighting: dusk
        """,
        "both prompt: and structured fields (camera, lighting)",
        "either prompt: or structured fields",
    )


@pytest.mark.parametrize("field", ["style", "duration", "negative", "aspect", "allow"])
def test_prompt_may_sit_beside_settings(tmp_path: Path, field: str) -> None:
    value = {
        "style": "35mm film",
        "duration": "5",
        "negative": "text",
        "aspect": '"1:1"',
        "allow": "[no-camera]",
    }[field]
    text = (
        "project: demo\nshots:\n  - id: a\n    variants:\n"
        f"      - id: v1\n        prompt: x\n        {field}: {value}\n"
        "      - id: v2\n        prompt: y\n"
    )
    variant = load_project(write(tmp_path, text)).shot("a").variant("v1")
    assert getattr(variant, field)


def test_structured_variant_without_subject(tmp_path: Path) -> None:
    expect_error(
        tmp_path,
        """\
        project: demo
        shots:
          - id: a
            variants:
              - id: v1  # <-
                action: walks along a wall
                camera: slow pan
        """,
        "no subject:",
        "subject: <who or what",
    )


def test_variant_with_neither_prompt_nor_subject(tmp_path: Path) -> None:
    expect_error(
        tmp_path,
        """\
        project: demo
        shots:
          - id: a
            variants:
              - id: v1  # <-
                duration: 4
        """,
        "neither prompt: nor subject:",
        "prompt: <the full text>",
    )


@pytest.mark.parametrize("field", ["prompt", "subject"])
def test_empty_prompt_or_subject(tmp_path: Path, field: str) -> None:
    text = (
        "project: demo\nshots:\n  - id: a\n    variants:\n"
        f"      - id: v1\n        {field}: '   '  # <-\n"
    )
    expect_error(tmp_path, text, f"{field} is empty", f"after `{field}:`")


# --- types and values ---------------------------------------------------------------------


VARIANT_HEAD = (
    "project: demo\nshots:\n  - id: a\n    variants:\n      - id: v1\n        subject: a cat\n"
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (VARIANT_HEAD + "        duration: ten  # <-\n", ("duration", "number", "'ten'")),
        (VARIANT_HEAD + "        duration: '8'  # <-\n", ("duration", "number", "without quotes")),
        (VARIANT_HEAD + "        duration: true  # <-\n", ("duration", "true/false")),
        ("project: demo\nshots:  # <-\n  street: {}\n", ("shots must be a list", "mapping")),
        (
            "project: demo\nshots:\n  - id: a\n    variants:\n      - id: v1\n"
            "        prompt:  # <-\n          - a cat\n          - walks\n",
            ("prompt must be text", "a list", "prompt: >"),
        ),
        ("project: demo\nbudget_usd: 25$  # <-\nshots: []\n", ("budget_usd", "'25$'", "number")),
        (
            "project: demo\nshots:\n  - id: 7  # <-\n    variants: []\n",
            ("shot #1: id must be text", "number 7", 'id: "7"'),
        ),
        ("project: demo\ndefaults: 8  # <-\nshots: []\n", ("defaults must be a mapping",)),
        ("project: demo\nshots:\n  - street  # <-\n", ("shot #1 must be a mapping",)),
        (
            "project: demo\nshots:\n  - id: a\n    variants: v1  # <-\n",
            ("variants must be a list",),
        ),
        (
            "project: demo\nshots:\n  - id: a\n    variants:\n      - a cat walks  # <-\n",
            ("variant #1 must be a mapping",),
        ),
        ("project: demo\ngoal: [a, b]  # <-\nshots: []\n", ("goal must be text",)),
    ],
    ids=[
        "duration-text",
        "duration-quoted",
        "duration-bool",
        "shots-mapping",
        "prompt-list",
        "budget-text",
        "id-number",
        "defaults-scalar",
        "shot-scalar",
        "variants-scalar",
        "variant-scalar",
        "goal-list",
    ],
)
def test_wrong_type_names_the_field_and_the_expected_type(
    tmp_path: Path, text: str, words: tuple[str, ...]
) -> None:
    expect_error(tmp_path, text, *words)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0", ("more than 0 seconds",)),
        ("-3", ("more than 0 seconds",)),
        ("601", ("over the 600-second limit", "duration: 600")),
        (".inf", ("over the 600-second limit",)),
        (".nan", ("more than 0 seconds",)),
    ],
)
def test_duration_out_of_range(tmp_path: Path, value: str, words: tuple[str, ...]) -> None:
    expect_error(tmp_path, VARIANT_HEAD + f"        duration: {value}  # <-\n", *words)


def test_duration_in_defaults_is_checked_too(tmp_path: Path) -> None:
    expect_error(
        tmp_path,
        "project: demo\ndefaults:\n  duration: 900  # <-\nshots: []\n",
        "defaults: duration 900",
        "600",
    )


def test_negative_budget(tmp_path: Path) -> None:
    expect_error(
        tmp_path, "project: demo\nbudget_usd: -1  # <-\nshots: []\n", "0 or more", "budget_usd: 25"
    )


def test_zero_budget_is_allowed(tmp_path: Path) -> None:
    assert (
        load_project(write(tmp_path, GOOD.replace("budget_usd: 5", "budget_usd: 0"))).budget_usd
        == 0
    )


def test_unknown_aspect_lists_the_allowed_ones(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path, VARIANT_HEAD + '        aspect: "16:10"  # <-\n', "unknown aspect '16:10'"
    )
    assert err.hint is not None and all(a in err.hint for a in ASPECTS)


def test_unknown_resolution_suggests_the_close_one(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path, VARIANT_HEAD + "        resolution: 720P  # <-\n", "unknown resolution '720P'"
    )
    assert err.hint is not None and "did you mean '720p'" in err.hint
    assert all(r in err.hint for r in RESOLUTIONS)


def test_aspect_written_with_a_slash(tmp_path: Path) -> None:
    expect_error(tmp_path, VARIANT_HEAD + "        aspect: 16/9  # <-\n", "did you mean '16:9'")


def test_resolution_as_a_bare_number(tmp_path: Path) -> None:
    expect_error(
        tmp_path, VARIANT_HEAD + "        resolution: 1080  # <-\n", "did you mean '1080p'"
    )


def test_image_that_does_not_exist(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path, VARIANT_HEAD + "        image: refs/street.png  # <-\n", "'refs/street.png'"
    )
    assert str(tmp_path / "refs" / "street.png") in err.message
    assert err.hint is not None and "relative to the project file" in err.hint


def test_image_is_found_relative_to_the_project_file(tmp_path: Path) -> None:
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "street.png").write_bytes(b"\x89PNG\r\n")
    project = load_project(write(tmp_path, VARIANT_HEAD + "        image: refs/street.png\n"))
    variant = project.shot("a").variant("v1")
    assert project.image_path(variant) == (tmp_path / "refs" / "street.png").resolve()


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("project: Tokyo Rain  # <-\nshots: []\n", "project: tokyo-rain"),
        (
            "project: demo\nshots:\n  - id: Street Walk!  # <-\n    variants: []\n",
            "id: street-walk",
        ),
        (
            "project: demo\nshots:\n  - id: a\n    variants:\n      - id: Take #1  # <-\n",
            "id: take",
        ),
        ("project: 'café crème'  # <-\nshots: []\n", "project: cafe-creme"),
    ],
    ids=["project", "shot", "variant", "accents"],
)
def test_id_that_is_not_a_slug(tmp_path: Path, text: str, suggestion: str) -> None:
    err = expect_error(tmp_path, text, "is not a slug", "lowercase letters")
    assert err.hint is not None and err.hint.endswith(f"e.g. {suggestion}")


def test_unknown_lint_rule_in_allow(tmp_path: Path) -> None:
    err = expect_error(
        tmp_path,
        VARIANT_HEAD + "        allow:\n          - crowded\n          - legible_text  # <-\n",
        "'legible_text' in allow is not a lint rule id",
        "did you mean 'legible-text'",
    )
    assert err.column == 13


def test_allow_must_be_a_list(tmp_path: Path) -> None:
    expect_error(
        tmp_path,
        VARIANT_HEAD + "        allow: crowded  # <-\n",
        "allow must be a list",
        "[crowded]",
    )


def test_known_lint_rules_are_allowed(tmp_path: Path) -> None:
    text = VARIANT_HEAD + f"        allow: [{', '.join(RULE_IDS)}]\n"
    assert load_project(write(tmp_path, text)).shot("a").variant("v1").allow == list(RULE_IDS)


def test_dates_are_text_not_a_crash(tmp_path: Path) -> None:
    # YAML would read this as a date, and an impossible one
    project = load_project(write(tmp_path, GOOD.replace("goal: a test film", "goal: 2024-02-30")))
    assert project.goal == "2024-02-30"


# --- nothing but PromptFileError, whatever the input ----------------------------------------


def assert_only_prompt_file_errors(load: Any) -> None:
    try:
        load()
    except PromptFileError as err:
        assert err.line is not None, str(err)
        assert err.hint, str(err)
        assert "internal error" not in err.message, str(err)


FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_raise_only_prompt_file_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    assert_only_prompt_file_errors(lambda: load_project(path))


ALL_KEYS = sorted(
    {"project", "goal", "budget_usd", "defaults", "shots", "id", "notes", "variants"}
    | set(Variant.model_fields)
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**400), 10**400) | st.integers(-10, 1000),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["v1", "a-b", "16:9", "720p", "crowded", "refs/x.png", "", " ", "1:1"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(ALL_KEYS) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A valid value most of the time, anything at all now and then, so that examples
    get past the first check and reach the deeper ones."""
    return st.integers(0, 9).flatmap(lambda n: VALUES if n == 0 else valid)


SLUGS = st.sampled_from(["a", "b", "v1", "v2", "street-walk", "x_1"])
TEXTS = st.text(min_size=1, max_size=20)
SETTINGS = {
    "duration": mostly(st.integers(1, 20) | st.floats(0.1, 600)),
    "aspect": mostly(st.sampled_from(ASPECTS)),
    "resolution": mostly(st.sampled_from(RESOLUTIONS)),
    "negative": mostly(TEXTS),
    "style": mostly(TEXTS),
}
VARIANTS = st.fixed_dictionaries(
    {"id": mostly(SLUGS)},
    optional={
        **SETTINGS,
        **{field: mostly(TEXTS) for field in ("prompt", *STRUCTURED_FIELDS)},
        "image": mostly(st.sampled_from(["refs/street.png", "refs/none.png"])),
        "allow": mostly(st.lists(st.sampled_from(RULE_IDS), max_size=3)),
    },
)
SHOTS = st.fixed_dictionaries(
    {"id": mostly(SLUGS), "variants": mostly(st.lists(VARIANTS, min_size=1, max_size=3))},
    optional={"notes": mostly(TEXTS)},
)
PROJECTS = st.fixed_dictionaries(
    {"project": mostly(SLUGS), "shots": mostly(st.lists(SHOTS, min_size=1, max_size=3))},
    optional={
        "goal": mostly(TEXTS),
        "budget_usd": mostly(st.floats(0, 100)),
        "defaults": mostly(st.fixed_dictionaries({}, optional=SETTINGS)),
    },
)


def dump(data: Any) -> str:
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.dump(data, stream)
    return stream.getvalue()


@FUZZ
@given(data=PROJECTS | VALUES)
def test_arbitrary_yaml_raises_only_prompt_file_error(data: Any) -> None:
    text = dump(data)
    # beside the examples, so that refs/street.png exists and image: can pass
    assert_only_prompt_file_errors(lambda: project_from_text(text, PROMPTS / "fuzz.yaml"))


@FUZZ
@given(
    example=st.sampled_from(EXAMPLES),
    cut=st.integers(0, 10_000),
    length=st.integers(0, 8),
    insert=st.text(max_size=4),
)
def test_edited_examples_raise_only_prompt_file_error(
    example: Path, cut: int, length: int, insert: str
) -> None:
    text = example.read_text(encoding="utf-8")
    cut %= len(text)
    edited = text[:cut] + insert + text[cut + length :]
    assert_only_prompt_file_errors(lambda: project_from_text(edited, example))
