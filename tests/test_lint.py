"""The prompt linter: per-rule precision and recall on a labelled set, and the finding
contract (JSON keys, severities, overrides, blocking)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from takelab.backends._base import Capabilities
from takelab.lint import (
    RULES,
    Finding,
    Severity,
    blocking,
    lint_project,
    lint_text,
    lint_variant,
)
from takelab.rule_ids import RULE_IDS
from takelab.shots import Project, Shot, Variant, VariantSettings, load_project

ROOT = Path(__file__).resolve().parents[1]
CASES_FILE = Path(__file__).parent / "data" / "lint_cases.yaml"
PROMPTS = ROOT / "prompts"
MIN_SCORE = 0.9


def load_cases() -> list[dict[str, Any]]:
    cases = YAML(typ="safe").load(CASES_FILE.read_text(encoding="utf-8"))
    assert isinstance(cases, list)
    return cases


def fired(case: dict[str, Any]) -> set[str]:
    caps = Capabilities(**case["capabilities"]) if "capabilities" in case else None
    duration = case.get("duration")
    if "fields" in case:
        variant = Variant(id="v", duration=duration, **case["fields"])
        defaults = VariantSettings(**case["defaults"]) if "defaults" in case else None
        findings = lint_variant(variant, shot="s", defaults=defaults, capabilities=caps)
    else:
        findings = lint_text(case["text"], duration_s=duration, capabilities=caps)
    return {f.rule for f in findings}


def test_labelled_set_is_large_and_covers_every_rule() -> None:
    cases = load_cases()
    assert len(cases) >= 100
    positives = Counter(r for c in cases for r in c["rules"])
    for rule in RULE_IDS:
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
        if precision < MIN_SCORE or recall < MIN_SCORE:
            failing.append(rule)
    report = "\n".join([*rows, "mismatches:", *misses])
    print(report)
    assert not failing, f"below {MIN_SCORE} for {failing}\n{report}"


def test_finding_json_has_exactly_the_documented_keys() -> None:
    findings = lint_text("A bowl of lemons on a table.", shot="s1", variant="v1")
    assert findings
    keys = {"shot", "variant", "rule", "severity", "message", "fix"}
    for f in findings:
        assert set(f.model_dump(exclude={"overridden"})) == keys
        assert set(f.public()) == keys
        assert f.public()["shot"] == "s1" and f.public()["variant"] == "v1"
        assert f.message and f.fix


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


def test_example_projects_exist() -> None:
    if not list(PROMPTS.glob("*.yaml")):
        pytest.skip("no example project files yet")


def test_linting_is_fast() -> None:
    texts = [c["text"] for c in load_cases() if "text" in c]
    runs = []
    for _ in range(3):  # best of three, so a busy machine does not fail the test
        start = time.perf_counter()
        for text in texts:
            lint_text(text)
        runs.append((time.perf_counter() - start) / len(texts))
    assert min(runs) < 0.001, f"{min(runs) * 1000:.2f} ms per prompt"
