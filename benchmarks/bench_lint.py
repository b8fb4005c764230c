"""Lint quality on the judged prompt set (tests/data/lint_judged.yaml): per-rule
precision, recall and F1, and micro-F1 without the trivial no-duration rule, on the tuning
half and on the held-out half that nothing was tuned on.

Targets (issue 16), on the held-out half: micro-F1 >= 0.97, and precision and recall
>= 0.9 for every rule with at least 10 positives there. The regression set
(tests/data/lint_cases.yaml) is scored beside it as the baseline the linter started from.
Exit status 1 when a held-out target is missed.

Run: .venv/bin/python benchmarks/bench_lint.py [--misses]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from takelab.lint_score import load_cases, score

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
MICRO_TARGET, RULE_TARGET, MIN_POSITIVES = 0.97, 0.9, 10


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
    print("held-out targets:", "met" if not failing else "MISSED: " + "; ".join(failing))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
