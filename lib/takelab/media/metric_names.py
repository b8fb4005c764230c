"""Readable names and units of the numbers takelab records, for tables and widgets: people
read "Motion (px/frame)", not `motion`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricName:
    label: str  # what a person reads
    unit: str  # "" for a plain count or score
    kind: str = "number"  # number, share (0-1 shown as %), usd, count, seconds
    help: str = ""


METRICS: dict[str, MetricName] = {
    "cost_usd": MetricName("Cost", "USD", "usd", "what the take cost"),
    "latency_s": MetricName("Time to clip", "s", "seconds", "from submit to a checked file"),
    "accepted": MetricName("Accepted", "", "share", "1 if the latest verdict is accept"),
    "duration_s": MetricName("Length", "s", "seconds", "measured clip length"),
    "fps": MetricName("Frame rate", "fps"),
    "width": MetricName("Width", "px", "count"),
    "height": MetricName("Height", "px", "count"),
    "frames": MetricName("Frames", "", "count"),
    "sharpness": MetricName("Sharpness", "", help="fine detail energy; below 0.22 is blurry"),
    "flicker": MetricName(
        "Flicker", "levels", help="brightness jitter where still (0-255 levels); above 2 flickers"
    ),
    "motion": MetricName("Motion", "px/frame", help="mean optical flow at 160 px wide"),
    "motion_peak": MetricName(
        "Peak motion", "px/frame", help="flow of the fastest tenth; below 0.05 is static"
    ),
    "cuts": MetricName("Hard cuts", "", "count"),
    "frozen_ratio": MetricName("Held frames", "%", "share"),
    "black_ratio": MetricName("Black frames", "%", "share"),
    "conforms": MetricName("Conforms", "%", "share", "duration, size and fps as asked"),
    "acceptance_rate": MetricName("Accept rate", "%", "share"),
    "rate": MetricName("Accept rate", "%", "share"),
    "cost_per_accepted": MetricName("Cost per accepted clip", "USD", "usd"),
    "cost_per_accepted_usd": MetricName("Cost per accepted clip", "USD", "usd"),
    "spend_usd": MetricName("Spend", "USD", "usd"),
    "strength": MetricName("Preference strength", "log-odds", help="Bradley-Terry, 0 = average"),
}

QA_METRICS: tuple[str, ...] = (
    "sharpness",
    "flicker",
    "motion",
    "motion_peak",
    "frozen_ratio",
    "black_ratio",
)


def metric_name(key: str) -> MetricName:
    """The readable name of a metric key; an unknown key gets a tidied version of itself."""
    if key in METRICS:
        return METRICS[key]
    base = key.removeprefix("median_").removeprefix("metrics.")
    if base in METRICS:
        m = METRICS[base]
        return MetricName(f"{m.label} (median)", m.unit, m.kind, m.help)
    return MetricName(key.replace("_", " ").capitalize(), "")


def metric_label(key: str) -> str:
    """`Motion (px/frame)`: the label with its unit, for a column header."""
    m = metric_name(key)
    return f"{m.label} ({m.unit})" if m.unit and m.unit != "%" else m.label


def format_metric(key: str, value: float | None) -> str:
    """A value as a person reads it: `$0.42`, `38%`, `2.5 s`, `0.071 px/frame`; `–` if none."""
    if value is None or value != value:  # None or NaN
        return "–"
    m = metric_name(key)
    if m.kind == "usd":
        return f"${value:,.2f}"
    if m.kind == "share":
        return f"{value:.0%}"
    if m.kind == "count":
        return f"{value:,.0f}" + (f" {m.unit}" if m.unit else "")
    if m.kind == "seconds":
        return f"{value:.1f} s"
    text = f"{value:.3g}"
    return f"{text} {m.unit}" if m.unit else text
