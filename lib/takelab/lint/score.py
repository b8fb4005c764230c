"""Scoring the linter on a judged prompt set: per-rule precision, recall and F1.

A judged case lists the exact rules that should fire on a prompt (free `text` or
structured `fields`), with optional `duration`, `defaults` and `capabilities` (a backend's
limits, for too-long) and a `split` ("tune" or "held-out"). Used by tests/test_lint.py and
benchmarks/bench_lint.py, so the figures a test asserts and the table a benchmark prints
come from one place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from takelab.backends import Capabilities
from takelab.lint.rules import lint_text, lint_variant
from takelab.project.model import Variant, VariantSettings
from takelab.rule_ids import RULE_IDS

# The trivial rule (every benchmark prompt lacks a duration) is left out of micro-F1.
MICRO_EXCLUDED = ("no-duration",)


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of a judged YAML set (a list of mappings)."""
    cases = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    if not isinstance(cases, list):
        raise ValueError(f"{path}: expected a list of cases")
    return cases


def fired(case: Mapping[str, Any]) -> set[str]:
    """The rules the linter fires on one case."""
    caps = Capabilities(**case["capabilities"]) if "capabilities" in case else None
    duration = case.get("duration")
    if "fields" in case:
        variant = Variant(id="v", duration=duration, **case["fields"])
        defaults = VariantSettings(**case["defaults"]) if "defaults" in case else None
        findings = lint_variant(variant, shot="s", defaults=defaults, capabilities=caps)
    else:
        findings = lint_text(case["text"], duration_s=duration, capabilities=caps)
    return {f.rule for f in findings}


@dataclass
class Score:
    """Counts per rule over a set of cases, and the cases that disagree."""

    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    cases: int = 0
    rules: list[str] = field(default_factory=lambda: list(RULE_IDS))
    misses: list[str] = field(default_factory=list)

    def positives(self, rule: str) -> int:
        return self.tp[rule] + self.fn[rule]

    def precision(self, rule: str) -> float:
        return self.tp[rule] / ((self.tp[rule] + self.fp[rule]) or 1)

    def recall(self, rule: str) -> float:
        return self.tp[rule] / (self.positives(rule) or 1)

    def f1(self, rule: str) -> float:
        p, r = self.precision(rule), self.recall(rule)
        return 2 * p * r / ((p + r) or 1)

    def micro_f1(self, exclude: Iterable[str] = MICRO_EXCLUDED) -> float:
        rules = [r for r in self.rules if r not in set(exclude)]
        tp = sum(self.tp[r] for r in rules)
        fp = sum(self.fp[r] for r in rules)
        fn = sum(self.fn[r] for r in rules)
        return 2 * tp / ((2 * tp + fp + fn) or 1)

    def table(self, title: str) -> str:
        """The per-rule table, then micro-F1 without the trivial rule."""
        head = f"{'rule':<18}{'pos':>5}{'tp':>5}{'fp':>5}{'fn':>5}{'prec':>7}{'recall':>7}{'f1':>7}"
        rows = [f"{title} ({self.cases} cases)", head]
        for r in self.rules:
            rows.append(
                f"{r:<18}{self.positives(r):>5}{self.tp[r]:>5}{self.fp[r]:>5}{self.fn[r]:>5}"
                f"{self.precision(r):>7.2f}{self.recall(r):>7.2f}{self.f1(r):>7.2f}"
            )
        rows.append(f"micro-F1 without {', '.join(MICRO_EXCLUDED)}: {self.micro_f1():.3f}")
        return "\n".join(rows)


def score(cases: Sequence[Mapping[str, Any]], split: str | None = None) -> Score:
    """Score the linter on the cases of one split (all cases when `split` is None)."""
    out = Score()
    for case in cases:
        if split is not None and case.get("split") != split:
            continue
        expected, got = set(case["rules"]), fired(case)
        out.rules += [r for r in sorted(expected | got) if r not in out.rules]
        out.cases += 1
        for r in got & expected:
            out.tp[r] += 1
        for r in got - expected:
            out.fp[r] += 1
        for r in expected - got:
            out.fn[r] += 1
        if got != expected:
            label = str(case.get("text") or case.get("fields"))[:160].replace("\n", " ")
            out.misses.append(f"  +{sorted(got - expected)} -{sorted(expected - got)}: {label}")
    return out


__all__ = ["MICRO_EXCLUDED", "Score", "fired", "load_cases", "score"]
