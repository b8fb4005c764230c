"""The prompt linter: per-rule precision and recall on the regression set and on the
judged benchmark set (tests/data/lint_judged.yaml), the finding contract (JSON keys with
evidence, file and line; severities, overrides, blocking), the new rules and the fixes."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from takelab.backends import Capabilities
from takelab.cli import main
from takelab.lint.fixes import apply_edits, subject_of
from takelab.lint.rules import (
    RULES,
    Finding,
    Severity,
    blocking,
    lint_project,
    lint_text,
    lint_variant,
)
from takelab.lint.score import fired, score
from takelab.lint.score import load_cases as load_judged
from takelab.lint.subjects import COUNT_WORDS
from takelab.project.model import Project, Shot, Variant, VariantSettings, load_project
from takelab.rule_ids import RULE_IDS

ROOT = Path(__file__).resolve().parents[1]
CASES_FILE = Path(__file__).parent / "data" / "lint_cases.yaml"
JUDGED_FILE = Path(__file__).parent / "data" / "lint_judged.yaml"
PROMPTS = ROOT / "prompts"
MIN_SCORE = 0.9


def load_cases() -> list[dict[str, Any]]:
    return load_judged(CASES_FILE)


def test_labelled_set_is_large_and_covers_every_rule() -> None:
    cases = load_cases()
    assert len(cases) >= 100
    positives = Counter(r for c in cases for r in c["rules"])
    for rule in RULE_IDS[:13]:  # the rules this set was written for (issue 16 added three)
        assert positives[rule] >= 8, f"{rule}: only {positives[rule]} positive cases"
    for case in cases:
        assert set(case["rules"]) <= set(RULE_IDS), case


def test_precision_and_recall_per_rule() -> None:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    misses: list[str] = []
    for case in load_cases():
        expected, got = set(case["rules"]), fired(case)
        for rule in got & expected:
            tp[rule] += 1
        for rule in got - expected:
            fp[rule] += 1
        for rule in expected - got:
            fn[rule] += 1
        if got != expected:
            label = case.get("text") or case.get("fields")
            misses.append(f"  +{sorted(got - expected)} -{sorted(expected - got)}: {label}")
    rows, failing = [f"{'rule':<14} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'recall':>6}"], []
    for rule in RULE_IDS:
        precision = tp[rule] / ((tp[rule] + fp[rule]) or 1)
        recall = tp[rule] / ((tp[rule] + fn[rule]) or 1)
        rows.append(
            f"{rule:<14} {tp[rule]:>4} {fp[rule]:>4} {fn[rule]:>4} {precision:>6.2f} {recall:>6.2f}"
        )
        if tp[rule] + fp[rule] + fn[rule] and min(precision, recall) < MIN_SCORE:
            failing.append(rule)
    report = "\n".join([*rows, "mismatches:", *misses])
    print(report)
    assert not failing, f"below {MIN_SCORE} for {failing}\n{report}"


def test_finding_json_has_exactly_the_documented_keys() -> None:
    findings = lint_text("A bowl of lemons on a table.", shot="s1", variant="v1")
    assert findings
    keys = {"shot", "variant", "rule", "severity", "message", "fix", "evidence", "file", "line"}
    for f in findings:
        assert set(f.model_dump(exclude={"overridden", "edits"})) == keys
        assert set(f.public()) == keys
        assert f.public()["shot"] == "s1" and f.public()["variant"] == "v1"
        assert f.message and f.fix and f.evidence


def test_rules_match_the_shared_ids_and_severities() -> None:
    assert tuple(RULES) == RULE_IDS
    for rule in ("public-figure", "violence", "explicit", "too-long"):
        assert RULES[rule].severity == Severity.ERROR
    caps = Capabilities(durations=(5.0, 10.0))
    findings = lint_text(
        "Barack Obama is stabbed to death in a nude beach bar, wide shot, dusk.",
        duration_s=12,
        capabilities=caps,
    )
    by_rule = {f.rule: f for f in findings}
    for rule in ("public-figure", "violence", "explicit", "too-long"):
        assert by_rule[rule].severity == Severity.ERROR
    assert len(blocking(findings)) == 4


def test_allow_marks_overridden_and_blocking_skips_it() -> None:
    variant = Variant(
        id="v1",
        subject="Taylor Swift",
        action="walks through a rainy street",
        camera="slow dolly back",
        lighting="neon at night",
        duration=8,
        allow=["public-figure"],
    )
    findings = lint_variant(variant, shot="street")
    figure = [f for f in findings if f.rule == "public-figure"]
    assert len(figure) == 1 and figure[0].overridden
    assert blocking(findings) == []
    assert blocking(lint_variant(variant.model_copy(update={"allow": []}), shot="street"))


def test_negative_field_is_not_linted() -> None:
    base = dict(
        id="v1",
        subject="a paper lantern",
        action="drifts up into the sky",
        camera="low angle",
        lighting="warm lantern glow at night",
        duration=8.0,
    )
    clean = Variant(**base, negative="text, watermark, subtitles, a sign that reads 'SALE', gore")
    assert lint_variant(clean, shot="s") == []
    # the same words in the prompt itself do fire
    dirty = Variant(**{**base, "action": "drifts past a sign that reads 'SALE'"})
    assert "legible-text" in {f.rule for f in lint_variant(dirty, shot="s")}


def test_too_long_names_the_allowed_durations() -> None:
    caps = Capabilities(durations=(5.0, 10.0))
    text = "A kite flies over a beach, wide shot, golden hour."
    (finding,) = [f for f in lint_text(text, duration_s=12, capabilities=caps)]
    assert finding.rule == "too-long" and finding.severity == Severity.ERROR
    assert "5, 10 s" in finding.message and "10 s" in finding.fix
    assert lint_text(text, duration_s=10, capabilities=caps) == []
    assert lint_text(text, duration_s=12) == []  # no backend, no limit


def test_duration_from_defaults_or_text() -> None:
    variant = Variant(id="v", subject="a kite", action="flutters", camera="wide", lighting="dusk")
    assert "no-duration" in {f.rule for f in lint_variant(variant, shot="s")}
    defaults = VariantSettings(duration=8)
    assert lint_variant(variant, shot="s", defaults=defaults) == []
    assert lint_text("A kite flutters at dusk, wide shot, a 5-second clip.") == []


def test_structured_fields_satisfy_rules_only_when_they_say_something() -> None:
    base: dict[str, Any] = dict(id="v", subject="a fox", action="trots", duration=6.0)
    good = Variant(**base, camera="static camera", lighting="overcast")
    assert lint_variant(good, shot="s") == []
    vague = Variant(**base, camera="tbd", lighting="none")
    assert {f.rule for f in lint_variant(vague, shot="s")} == {"no-camera", "no-lighting"}


def test_lint_project_runs_on_a_built_project() -> None:
    project = Project(
        project="demo",
        defaults=VariantSettings(duration=8),
        shots=[
            Shot(
                id="open",
                variants=[
                    Variant(id="v1", prompt="Elon Musk waves, close-up, dusk."),
                    Variant(id="v2", prompt="A fox trots through snow, wide shot, dawn."),
                ],
            )
        ],
    )
    findings = lint_project(project)
    assert [(f.shot, f.variant, f.rule) for f in findings] == [("open", "v1", "public-figure")]
    assert all(isinstance(f, Finding) for f in findings)


@pytest.mark.parametrize("path", sorted(PROMPTS.glob("*.yaml")), ids=lambda p: p.name)
def test_example_projects_have_no_error_findings(path: Path) -> None:
    findings = lint_project(load_project(path))
    errors = [f"{f.shot}/{f.variant} {f.rule}: {f.message}" for f in blocking(findings)]
    assert errors == []


def test_the_example_projects_are_all_linted() -> None:
    """The parametrised test above is not vacuous: the README's example projects are there
    and each loads (a missing or renamed one would quietly drop out of the lint check)."""
    found = {p.name for p in PROMPTS.glob("*.yaml")}
    named_in_readme = {"tokyo-rain.yaml", "mammoth-snow.yaml", "night-market.yaml"}
    assert named_in_readme <= found, f"missing from prompts/: {named_in_readme - found}"
    for name in sorted(found):
        assert load_project(PROMPTS / name).shots, f"{name} has no shots"


# -- the judged benchmark set ----------------------------------------------------------


def judged() -> list[dict[str, Any]]:
    return load_judged(JUDGED_FILE)


def test_judged_set_is_sourced_split_by_hash_and_covers_every_rule() -> None:
    cases = judged()
    main_set = [c for c in cases if c["split"] in ("tune", "held-out")]
    assert len(main_set) >= 300
    corpus = [c for c in main_set if not c.get("synthetic")]
    assert len(corpus) >= 300, "most of the set is verbatim benchmark text"
    for case in cases:
        assert case["source"] and case["text"] and set(case["rules"]) <= set(RULE_IDS), case
        key = json.dumps(
            {k: case.get(k) for k in ("text", "duration", "capabilities")}, sort_keys=True
        )
        digest = hashlib.sha256(key.encode()).hexdigest()
        assert case["id"] == digest[:10]
        if case["split"] != "dev":
            assert case["split"] == ("tune" if int(digest[:8], 16) % 2 == 0 else "held-out")
        if case.get("synthetic"):
            assert case["source"].startswith("synthetic")
    positives = Counter(r for c in main_set for r in c["rules"])
    for rule in RULE_IDS:
        assert positives[rule] >= 10, f"{rule}: only {positives[rule]} positives"


def test_judged_set_scores() -> None:
    """Tuned on `tune` (and `dev`); `held-out` is only measured. The held-out targets of
    issue 16 (micro-F1 0.97 without no-duration; P and R 0.9 for every rule with 10 or more
    positives there), also printed by benchmarks/bench_lint.py, are held here so a change
    cannot quietly lose them."""
    cases = judged()
    for split in ("tune", "dev", "held-out"):
        result = score(cases, split)
        assert result.micro_f1() >= 0.97, result.table(split) + "\n" + "\n".join(result.misses)
    held_out = score(cases, "held-out")
    for rule in RULE_IDS:
        if held_out.positives(rule) >= 10:
            worst = min(held_out.precision(rule), held_out.recall(rule))
            assert worst >= MIN_SCORE, held_out.table("held-out")
    tuned = score([c for c in cases if c["split"] != "held-out"])
    for rule in RULE_IDS:
        if tuned.positives(rule) >= 10:
            assert min(tuned.precision(rule), tuned.recall(rule)) >= MIN_SCORE, tuned.table("tuned")


def _subject_words(text: str) -> set[str]:
    """The subject's words, less articles and counts (a crowded fix changes the count)."""
    skip = {"the", "a", "an", *COUNT_WORDS}
    return {w for w in subject_of(text).lower().split() if w not in skip and not w.isdigit()}


def test_every_fix_on_the_judged_set_removes_its_finding_keeps_the_subject() -> None:
    """Apply each machine-made fix (a rewrite of the prompt's own words): the finding goes
    away, the subject's words survive, and no new error appears."""
    applied: Counter[str] = Counter()
    for case in judged():
        if "text" not in case:
            continue
        caps = Capabilities(**case["capabilities"]) if "capabilities" in case else None
        before = lint_text(case["text"], duration_s=case.get("duration"), capabilities=caps)
        errors_before = {f.rule for f in blocking(before)}
        for finding in before:
            if not finding.edits:
                continue
            draft = {"prompt": case["text"], "duration": str(case.get("duration") or "")}
            fixed = apply_edits(draft, finding.edits)
            duration = float(fixed["duration"]) if fixed["duration"] else None
            after = lint_text(fixed["prompt"], duration_s=duration, capabilities=caps)
            rules_after = {f.rule for f in after}
            label = f"{finding.rule} on {case['text'][:80]!r} -> {fixed['prompt'][:120]!r}"
            assert finding.rule not in rules_after, label
            assert {f.rule for f in blocking(after)} <= errors_before, label
            if finding.rule not in ("public-figure", "too-long", "no-duration"):
                kept = fixed["prompt"].lower()
                problem = finding.evidence.lower()  # the offending words may go
                missing = [
                    w for w in _subject_words(case["text"]) if w not in kept and w not in problem
                ]
                assert not missing, f"subject lost {missing}: {label}"
            assert "a a " not in fixed["prompt"].lower(), label
            applied[finding.rule] += 1
    # the fixes are specific: written from the prompt, not one canned sentence
    assert applied["no-motion"] >= 20 and applied["no-camera"] >= 20
    for rule in ("legible-text", "fast-motion", "negative-phrasing", "camera-conflict", "hard-cut"):
        assert applied[rule] >= 5, applied


def test_fixes_use_the_prompts_own_words() -> None:
    (motion,) = [
        f for f in lint_text("A green bicycle by a wall.", duration_s=5) if f.rule == "no-motion"
    ]
    assert "green bicycle" in motion.fix and "Steam rises" not in motion.fix
    (sign,) = [
        f
        for f in lint_text(
            'A "NO PARKING" sign rattles in the wind at dusk, slow push in.', duration_s=5
        )
        if f.rule == "legible-text"
    ]
    assert sign.evidence == '"NO PARKING" sign'
    assert sign.edits[0].new == "A blank sign rattles in the wind at dusk, slow push in."
    negative = next(
        f
        for f in lint_text(
            "A quiet beach at dawn with no people, waves rolling in, wide shot.", duration_s=5
        )
        if f.rule == "negative-phrasing"
    )
    assert [(e.field, e.new) for e in negative.edits] == [
        ("prompt", "A quiet beach at dawn, waves rolling in, wide shot."),
        ("negative", "people"),
    ]


# -- the new rules and the grammar -----------------------------------------------------


def test_camera_conflict_counts_kinds_of_move_not_restatements() -> None:
    def rules(text: str) -> set[str]:
        return {f.rule for f in lint_text(text, duration_s=5)}

    assert "camera-conflict" in rules(
        "A dancer spins on a rooftop at sunset, slow pan left while zooming in."
    )
    assert "camera-conflict" in rules("Static shot with a slow dolly in on a fisherman at dawn.")
    assert "camera-conflict" not in rules(
        "The camera orbits around a fountain at noon; the camera circles around it."
    )
    # one phrase is one move, and an adverb may sit between the verb and its direction
    assert "camera-conflict" not in rules("The camera moves slowly toward a door, warm lamp light.")
    assert "camera-conflict" in rules(
        "The camera enters a pine forest at dawn. The camera moves again to a frozen lake."
    )


def test_dialogue_budget_scales_with_duration_and_reads_a_dialogue_list() -> None:
    text = (
        'Two friends in a car at night, medium shot. She says: "Left." He says: "Right." '
        'She says: "Stop!"'
    )

    def fires(seconds: float) -> bool:
        return "dialogue-budget" in {f.rule for f in lint_text(text, duration_s=seconds)}

    assert fires(4) and not fires(8)
    # quoted words on a sign are not speech
    assert not any(
        f.rule == "dialogue-budget"
        for f in lint_text(
            'A sign reads "OPEN" and "CLOSED" and "BACK SOON", close-up, dusk.', duration_s=4
        )
    )

    lines = [{"speaker": "A", "line": f"line {i}", "at": i} for i in range(4)]
    variant = Variant.model_validate(
        dict(
            id="v",
            subject="two friends",
            action="talk",
            camera="medium shot",
            lighting="dusk",
            duration=4,
            dialogue=lines,
        )
    )
    assert "dialogue-budget" in {f.rule for f in lint_variant(variant, shot="s")}
    assert "dialogue-budget" not in {
        f.rule for f in lint_variant(variant.model_copy(update={"duration": 8.0}), shot="s")
    }


@pytest.mark.parametrize(
    ("text", "rule", "fires"),
    [
        ("A striking red door in a white wall, morning sun, static shot.", "no-motion", True),
        ("Words written in chalk on a slate, soft light, close-up.", "no-motion", True),
        ("Workers building a wooden boat in a shed, hanging bulbs, handheld.", "no-motion", False),
        ("The sun is setting over a quiet harbour, wide shot.", "no-motion", False),
        ("Peacocks strut across a lawn, wide shot, noon.", "no-motion", False),
        ("A woman in her 30s jogs along a river at sunrise, tracking shot.", "no-duration", True),
        (
            "Top view of a chessboard as pieces slide into place, soft lamp light.",
            "no-camera",
            False,
        ),
        (
            "A vase rotates on a turntable, out of focus background, studio light.",
            "no-camera",
            False,
        ),
        ("A deer steps out from behind an oak tree at dawn, static wide shot.", "occlusion", True),
        ("A fuel truck explodes on a desert highway at noon, wide shot.", "fast-motion", True),
        (
            "A frozen lake at dawn transitions into a summer beach at noon, aerial shot.",
            "hard-cut",
            True,
        ),
        ("barack obama waves from a podium at dusk, slow dolly in.", "public-figure", True),
        (
            "Merkel's hands form a diamond in close-up, studio light, slow push in.",
            "public-figure",
            True,
        ),
        ("Tom Hanx walks along a beach at sunset, wide tracking shot.", "public-figure", True),
        (
            "Sunflowers sway, in the style of Van Gogh, slow pan at golden hour.",
            "public-figure",
            False,
        ),
        (
            '"OPEN 24 HOURS" in red letters on a sign above a diner door at night, wide shot.',
            "legible-text",
            True,
        ),
        ("A man is stabbed in a dark alley, blood pooling, handheld close-up.", "violence", True),
        # motion is change as well as movement; events and phrasal verbs move too
        ("An eraser removes pencil marks from a page, macro shot, soft light.", "no-motion", False),
        ("A glass vase turns into a paper lantern, static shot, studio light.", "no-motion", False),
        ("A wedding video in a rose garden, golden hour, wide shot.", "no-motion", False),
        ("A wooden bench in a park at sunset, wide shot.", "no-motion", True),
        ("A plane takes off from a desert strip, wide shot, noon.", "no-motion", False),
        (
            "A boy reads a note on a bench, then crumples it, close-up, overcast.",
            "no-motion",
            False,
        ),
        ("A hamster vlogging in a tiny kitchen, close-up, warm lamp light.", "no-motion", False),
        ("Taxis passing, a wet street at night, wide shot.", "no-motion", False),
        ("A wall of old monitors all playing cartoons, static shot.", "no-motion", False),
        ("An otter dives under the ice and a seal surfaces, wide shot, noon.", "occlusion", True),
        ("Sunlight on the reflective surfaces of a glass tower, wide shot.", "occlusion", False),
        # still: a declared still frame, slow motion alone, a noun after an aspect verb
        ("In a still frame, old streetlamps bathed the square in warm light.", "no-motion", True),
        ("A poet reading a book, in slow motion, soft window light.", "no-motion", True),
        ("A red start line on an empty track at noon, wide shot.", "no-motion", True),
        ("A soldier wearing a wool knitted winter helmet, overcast, close-up.", "no-motion", True),
        # slow motion and a slow manner cancel fast motion only where they are said
        (
            "A knife gradually tears through a sheet of paper, macro shot, soft light.",
            "fast-motion",
            False,
        ),
        (
            "A motorbike speeding along a cliff road at dusk. Then a slow-motion close-up of it.",
            "fast-motion",
            True,
        ),
        # crowded counts who shares the scene, not every mention
        (
            "Two dancers on a stage, spotlight, wide shot. The taller dancer lifts the other, "
            "and both dancers bow.",
            "crowded",
            False,
        ),
        (
            "A warehouse filled with workers and forklifts, wide shot, fluorescent light.",
            "crowded",
            False,
        ),
        (
            "On a talk show set, the host, a man in a grey suit, interviews the guest, close-up.",
            "crowded",
            False,
        ),
        ("An empty stage without any dancers, a spotlight sweeping, wide shot.", "crowded", False),
        (
            "Zebras, lions, giraffes and elephants cross a dusty plain at noon, aerial shot.",
            "crowded",
            True,
        ),
        (
            'A man at a desk, static shot, says: "Our reporters and crews are everywhere."',
            "crowded",
            False,
        ),
        # a story told in sequence needs cuts; a camera's own sequence is one shot
        (
            "First, a fox crosses a frozen river. Next, it hunts in a snowy field. Finally, it "
            "sleeps in its den.",
            "hard-cut",
            True,
        ),
        (
            "A lighthouse on a cliff at dusk. Finally, the camera pulls back to reveal the bay.",
            "hard-cut",
            False,
        ),
        ("A photorealistic front image of a cat on a sofa, soft lamp light.", "no-camera", False),
        ("A fisherman mends a net on a rainy morning, medium shot.", "no-lighting", False),
        ("A burning match falls into a pile of straw, macro shot.", "no-lighting", False),
    ],
)
def test_grammar_aware_rules(text: str, rule: str, fires: bool) -> None:
    duration = None if rule == "no-duration" else 5
    assert (rule in {f.rule for f in lint_text(text, duration_s=duration)}) == fires


# -- file, line, evidence in the CLI ---------------------------------------------------

PROJECT = """\
project: lines
defaults:
  duration: 5
shots:
  - id: diner
    variants:
      - id: v1
        prompt: >
          A neon sign that reads "OPEN" flickers over a diner door at night,
          rain falling, static wide shot.
      - id: v2
        subject: a fox
        action: trots through snow
        lighting: overcast dawn
"""


def test_json_findings_carry_file_line_and_evidence(tmp_path: Path) -> None:
    path = tmp_path / "lines.yaml"
    path.write_text(PROJECT)
    result = CliRunner().invoke(main, ["lint", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    findings = {(f["variant"], f["rule"]): f for f in json.loads(result.output)}
    sign = findings[("v1", "legible-text")]
    assert sign["file"] == str(path) and sign["line"] == 8  # the `prompt:` line
    assert sign["evidence"] == 'neon sign that reads "OPEN"'
    camera = findings[("v2", "no-camera")]
    assert camera["line"] == 11 and camera["file"] == str(path)  # the variant (no camera field)

    explained = CliRunner().invoke(main, ["lint", str(path), "--explain"])
    assert f"{path}:8:" in explained.output
    assert 'evidence: neon sign that reads "OPEN"' in explained.output
