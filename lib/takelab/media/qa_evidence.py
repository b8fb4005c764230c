"""How sure a QA flag is: the metric, the threshold it was judged against, a confidence.

Every flag `quality.measure` raises or leaves down comes with one `Evidence`: the number
behind it, the threshold (fitted on the `fit` half of the real-footage set, see
benchmarks/bench_qa_footage.py), which side of it raises the flag, and a confidence in
[0.5, 1]: 0.5 exactly at the threshold, ~0.9 at 1.5x (or 1/1.5x) of it, so a flag that
barely passes says so. `takelab qa --explain` and Dailies show these lines.

Extra metric providers (audio, say) plug in through `MetricProvider`: a callable given
the file, returning its metrics and evidence; `quality.measure(providers=...)` merges them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field

# log-odds slope: confidence 0.9 at 1.5x the threshold (ln 9 / ln 1.5).
STEEPNESS = math.log(9) / math.log(1.5)


class Evidence(BaseModel):
    """One flag's decision and what it rests on."""

    flag: str
    metric: str = Field(description="the metric the flag is judged on")
    value: float
    threshold: float
    above: bool = Field(description="raised when value >= threshold (else when <=)")
    raised: bool
    confidence: float = Field(description="0.5-1: how far the value is from the threshold")
    detail: str = Field(default="", description="what else was looked at")
    fact: bool = Field(default=False, description="a yes/no fact, not a metric judged")

    def line(self) -> str:
        """One human line, e.g. `blurry: yes (0.93) edge_blur_px 1.42 >= 1.05`."""
        side = (">=" if self.raised else "<") if self.above else "<=" if self.raised else ">"
        verdict = "yes" if self.raised else "no"
        if self.fact:
            text = f"{self.flag}: {verdict} {self.metric} {self.value:g}"
            return text + (f"; {self.detail}" if self.detail else "")
        text = f"{self.flag}: {verdict} ({self.confidence:.2f}) {self.metric} {self.value:g}"
        text += f" {side} {self.threshold:g}"
        return text + (f"; {self.detail}" if self.detail else "")


def judge(
    flag: str, metric: str, value: float, threshold: float, *, above: bool = True, detail: str = ""
) -> Evidence:
    """The Evidence for `flag`: raised when `value` is past `threshold` on the `above` side.

    Confidence grows with the log ratio of value to threshold (metrics here are ratios or
    scales, so 2x past means the same everywhere); a zero or negative value on a positive
    threshold counts as far below it.
    """
    raised = value >= threshold if above else value <= threshold
    if threshold > 0 and value > 0:
        z = STEEPNESS * math.log(value / threshold)
    else:
        z = -10.0 if value < threshold else (10.0 if value > threshold else 0.0)
    p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))  # P(value is past on the high side)
    if not above:
        p = 1.0 - p
    confidence = p if raised else 1.0 - p
    return Evidence(
        flag=flag,
        metric=metric,
        value=round(value, 4),
        threshold=threshold,
        above=above,
        raised=raised,
        confidence=round(max(0.5, confidence), 3),
        detail=detail,
    )


def certain(flag: str, metric: str, value: float, raised: bool, detail: str = "") -> Evidence:
    """Evidence for a yes/no fact (a size mismatch, decode errors): confidence 1."""
    return Evidence(
        flag=flag,
        metric=metric,
        value=value,
        threshold=0.5,
        above=True,
        raised=raised,
        confidence=1.0,
        detail=detail,
        fact=True,
    )


class ProviderResult(BaseModel):
    """What a metric provider adds to a file's Quality."""

    metrics: dict[str, float] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)


class MetricProvider(Protocol):
    """Extra metrics of a file beyond the video pass (e.g. audio), with their flags."""

    def __call__(self, path: Path) -> ProviderResult: ...


__all__ = ["Evidence", "MetricProvider", "ProviderResult", "certain", "judge"]
