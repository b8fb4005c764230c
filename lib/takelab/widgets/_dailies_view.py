"""What Dailies shows about one take: its header (shot, variant, version, backend, seed,
cost), prompt, lint findings, quality metrics with readable names and units, and its
verdict history with what to try next."""

from __future__ import annotations

import time

from takelab.journal.store import Journal, TakeRecord
from takelab.lint.rules import RULES
from takelab.media.metric_names import format_metric, metric_name
from takelab.review.learning import suggestions
from takelab.widgets._common import esc
from takelab.widgets._diffview import short


def _ago(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def take_info_html(r: TakeRecord, verdict: str, run_link: str = "", *, chain: str = "") -> str:
    """The take's details beside the player."""
    lint = "".join(
        f"<li><b>{esc(rid)}</b> ({esc(RULES[rid].severity) if rid in RULES else '?'}): "
        f"{esc(RULES[rid].description if rid in RULES else '')}</li>"
        for rid in r.lint
    )
    metrics = " ".join(
        f"<span style='white-space:nowrap;margin-right:10px' title='{esc(metric_name(k).help)}'"
        f">{esc(metric_name(k).label)} <b>{esc(format_metric(k, v))}</b></span>"
        for k, v in sorted(r.metrics.items(), key=lambda kv: metric_name(kv[0]).label)
    )
    version = short(r.request.variant_hash or "?")
    # Why each raised flag was raised: its metric against its threshold, and how sure.
    from takelab.media.quality import evidence_from_metrics

    why = "".join(
        f"<li class='takelab-evidence'>{esc(e.line())}</li>"
        for e in evidence_from_metrics(r.metrics)
        if e.flag in r.flags
    )
    return (
        f"<h3 style='margin:0'>{esc(r.shot)} / {esc(r.variant)} "
        f"<code class='takelab-version' style='font-size:80%'>@{esc(version)}</code></h3>"
        f"<div>{esc(r.backend)}:{esc(r.model)} · seed {r.seed} · "
        f"${float(r.cost_usd or 0):.2f} · {r.request.duration_s:g} s "
        f"{esc(r.request.aspect)} {esc(r.request.resolution)}{run_link}</div>"
        f"<div>take <code class='takelab-take-id'>{esc(r.take_id)}</code> · "
        f"verdict <b class='takelab-verdict'>{esc(verdict)}</b></div>"
        f"<p style='max-width:60ch'>{esc(r.request.prompt)}</p>"
        + chain
        + (f"<b>Lint</b><ul>{lint}</ul>" if lint else "<div>Lint: no findings</div>")
        + (f"<div><b>Quality</b> {metrics}</div>" if metrics else "")
        + (
            f"<div><b>Flags</b> <span class='takelab-flags'>{esc(', '.join(r.flags))}</span>"
            + (f"<ul>{why}</ul>" if why else "")
            + "</div>"
            if r.flags
            else ""
        )
    )


def verdict_history_html(journal: Journal | None, take_id: str) -> str:
    """Every verdict of the take, latest first, and the fixes for its reasons and flags."""
    history = journal.verdicts(take_id) if journal is not None else []
    if not history:
        return "<i>no verdict yet</i>"
    items = "".join(
        f"<li>{_ago(v.created_at)}: <b>{esc(v.verdict)}</b>"
        + (f" ({esc(', '.join(v.reasons))})" if v.reasons else "")
        + (f" · {esc(v.note)}" if v.note else "")
        + "</li>"
        for v in reversed(history)
    )
    record = journal.get(take_id) if journal is not None else None
    tags = [*history[-1].reasons, *(record.flags if record else [])]
    tips = "".join(
        f"<li class='takelab-tip'><b>{esc(tag)}</b>: {esc(fix)}</li>"
        for tag, fix in suggestions(tags)
    )
    tried = f"<b>Try next</b><ul class='takelab-suggestions'>{tips}</ul>" if tips else ""
    return f"<b>Verdicts</b> (latest first)<ul>{items}</ul>{tried}"


__all__ = ["take_info_html", "verdict_history_html"]
