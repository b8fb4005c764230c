"""The learning loop: suggestions per reason and flag, and effects with intervals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from takelab.media.quality import FLAGS
from takelab.review.learning import SUGGESTIONS, Rate, effects, learning_effects, suggestions
from takelab.review.verdicts import REASON_TAGS, record_verdict
from takelab.sweep.run import run_sweep


def test_every_reason_and_flag_has_a_fix() -> None:
    for tag in (*REASON_TAGS, *FLAGS):
        assert tag in SUGGESTIONS, tag
    assert "overlay" in SUGGESTIONS["garbled-text"]
    assert suggestions(["static", "static", "nope", "blurry"]) == [
        ("static", SUGGESTIONS["static"]),
        ("blurry", SUGGESTIONS["blurry"]),
    ]


def test_wilson_interval() -> None:
    assert Rate(0, 0).wilson() == (None, None)
    lo, hi = Rate(5, 10).wilson()
    assert lo is not None and hi is not None
    assert lo == pytest.approx(0.2366, abs=1e-3) and hi == pytest.approx(0.7634, abs=1e-3)
    lo, hi = Rate(0, 4).wilson()
    assert lo == 0.0 and hi is not None and 0.4 < hi < 0.6


def test_effects_compare_takes_with_and_without_a_rule() -> None:
    frame = pd.DataFrame(
        {
            "take_id": list("abcdef"),
            "verdict": ["accept", "accept", "reject", "reject", "reject", "unreviewed"],
            "lint": ["", "", "no-camera", "no-camera", "", "no-camera"],
        }
    )
    out = effects(frame).set_index("feature")
    row = out.loc["lint:no-camera"]
    assert (row.with_n, row.with_rate) == (2, 0.0)
    assert row.without_n == 3 and row.without_rate == pytest.approx(2 / 3)
    assert row.difference == pytest.approx(-2 / 3)


def test_learning_effects_from_mlflow(project_file: Path) -> None:
    result = run_sweep(project_file, progress=False)
    for o in result.outcomes:
        record_verdict(o.take_id, "accept" if o.shot == "cat" else "reject", ["static"])
    out = learning_effects("mini").set_index("feature")
    # cat/v1 and walk/v2 are structured with a camera field; cat's takes were accepted.
    assert "field:camera" in out.index and "field:lighting" in out.index
    assert out.loc["field:secondary"].with_n == 0
    assert int(out.loc["field:subject"].with_n + out.loc["field:subject"].without_n) == 4
