"""Lint quality on the judged prompt set (tests/data/lint_judged.yaml): per-rule
precision, recall and F1, and micro-F1 without the trivial no-duration rule, on the tuning
half and on the held-out half that nothing was tuned on.

Targets (issue 16), on the held-out half: micro-F1 >= 0.97, and precision and recall
>= 0.9 for every rule with at least 10 positives there. The regression set
(tests/data/lint_cases.yaml) is scored beside it as the baseline the linter started from.
Exit status 1 when a held-out target is missed.

Speed: milliseconds per prompt (best of three over the judged texts), against a baseline
run beside it: one compiled regular expression (the camera pattern) over the same texts.

Run: .venv/bin/python benchmarks/bench_lint.py [--misses]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from takelab.lint import lexicon
from takelab.lint.rules import lint_text
from takelab.lint.score import load_cases, score

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
MICRO_TARGET, RULE_TARGET, MIN_POSITIVES = 0.97, 0.9, 10


def _per_prompt_ms(texts: list[str], fn: Callable[[str], object]) -> float:
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        for text in texts:
            fn(text)
        runs.append((time.perf_counter() - start) * 1000 / len(texts))
    return min(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the cases that disagree")
    args = parser.parse_args()
    judged = load_cases(DATA / "lint_judged.yaml")
    failing: list[str] = []
    for split in ("tune", "held-out"):
        result = score(judged, split)
        print(result.table(f"judged set, {split} half"))
        if args.misses:
            print("\n".join(result.misses))
        print()
        if split != "held-out":
            continue
        if result.micro_f1() < MICRO_TARGET:
            failing.append(f"micro-F1 {result.micro_f1():.3f} < {MICRO_TARGET}")
        for rule in result.rules:
            if result.positives(rule) < MIN_POSITIVES:
                continue
            if min(result.precision(rule), result.recall(rule)) < RULE_TARGET:
                failing.append(f"{rule} P {result.precision(rule):.2f} R {result.recall(rule):.2f}")
    print(score(load_cases(DATA / "lint_cases.yaml")).table("regression set lint_cases.yaml"))
    texts = [c["text"] for c in judged if "text" in c]
    lint_ms = _per_prompt_ms(texts, lint_text)
    base_ms = _per_prompt_ms(texts, lambda t: lexicon.CAMERA.search(t.lower()))
    print(
        f"speed: {lint_ms:.2f} ms a prompt (findings with fixes); baseline one regex "
        f"{base_ms:.3f} ms; ratio {lint_ms / base_ms:.0f}x"
    )
    print("held-out targets:", "met" if not failing else "MISSED: " + "; ".join(failing))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
