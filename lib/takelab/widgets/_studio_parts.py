"""Parts of the Studio: the editor's inputs, the backend picker's options, the lint
findings with their buttons, and the price table with the expected cost of one accepted
clip."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from takelab.backends import Backend, available_backends, get_backend
from takelab.home import Home
from takelab.lint.rules import Finding, lint_variant
from takelab.project.model import ASPECTS, RESOLUTIONS, STRUCTURED_FIELDS, Project, Shot, Variant
from takelab.review.analytics import AcceptanceRate
from takelab.sweep.plan import build_request
from takelab.widgets._common import esc, notice

SEVERITY_COLOUR = {"error": "#b42318", "warning": "#9a6700", "info": "#555"}
PAD = "padding:2px 10px;text-align:left"
TEXT_INPUTS = ("prompt", *STRUCTURED_FIELDS, "duration", "negative", "image")


def editor_inputs() -> dict[str, Any]:
    """One control per variant field, in the file's field order."""
    import ipywidgets as w

    wide = w.Layout(width="98%")
    inputs: dict[str, Any] = {
        "prompt": w.Textarea(description="prompt", layout=w.Layout(width="98%", height="7em")),
        **{f: w.Text(description=f, layout=wide) for f in TEXT_INPUTS[1:]},
        "aspect": w.Dropdown(options=["", *ASPECTS], description="aspect"),
        "resolution": w.Dropdown(options=["", *RESOLUTIONS], description="resolution"),
    }
    inputs["duration"].layout = w.Layout(width="220px")
    inputs["duration"].placeholder = "seconds"
    return inputs


def backend_options(picked: Sequence[str]) -> tuple[list[str], list[str]]:
    """The picked backends as `name:model` specs, and every option for the picker (other
    backends by name; their modules load only when one is picked)."""
    names = [get_backend(b).spec for b in picked]
    taken = {n.split(":")[0] for n in names}
    return names, [*names, *(n for n in available_backends() if n not in taken)]


def normal(variant: Variant) -> dict[str, Any]:
    """A variant's content with whitespace normalized (a folded block ends with a newline)."""
    return {
        k: " ".join(v.split()) if isinstance(v, str) else v
        for k, v in variant.model_dump(exclude_none=True).items()
    }


def draft_fields(
    values: Mapping[str, str], allow: Sequence[str], *, structured: bool
) -> dict[str, Any]:
    """The editor's text as variant fields (None drops a field from the file): free text
    or structured fields by mode, `style` in both; ValueError on a bad duration."""
    text = {k: v.strip() or None for k, v in values.items()}
    out: dict[str, Any] = {"prompt": None if structured else text["prompt"]}
    for name in STRUCTURED_FIELDS:
        out[name] = text[name] if structured or name == "style" else None
    duration = text["duration"]
    try:
        out["duration"] = float(duration) if duration else None
    except ValueError:
        raise ValueError(f"duration must be a number of seconds, got {duration!r}") from None
    for name in ("aspect", "resolution", "negative", "image"):
        out[name] = text[name]
    out["allow"] = sorted(set(allow)) or None
    return out


def lint_draft(
    variant: Variant, project: Project, shot: str, backends: Sequence[Backend]
) -> list[Finding]:
    """Findings for the draft on every picked backend (each rule once)."""
    found: dict[str, Finding] = {}
    for backend in backends or (None,):
        caps = backend.capabilities() if backend is not None else None
        for f in lint_variant(variant, shot=shot, defaults=project.defaults, capabilities=caps):
            found.setdefault(f.rule, f)
    return list(found.values())


def finding_rows(
    findings: Sequence[Finding],
    allow: Sequence[str],
    *,
    can_apply: Callable[[Finding], bool],
    on_apply: Callable[[Finding], None],
    on_dismiss: Callable[[str], None],
    on_restore: Callable[[], None],
) -> list[Any]:
    """One row per finding (message, fix, Apply fix, Dismiss), then the dismissed ones."""
    import ipywidgets as w

    rows: list[Any] = []
    for f in findings:
        if f.overridden:
            continue
        colour = SEVERITY_COLOUR.get(str(f.severity), "#555")
        text = w.HTML(
            f"<div><b style='color:{colour}'>{esc(f.severity)}</b> <code>{esc(f.rule)}</code>"
            f" {esc(f.message)}<br><i>fix:</i> {esc(f.fix)}</div>",
            layout=w.Layout(width="98%"),
        )
        apply = w.Button(description="Apply fix", layout=w.Layout(width="auto"))
        apply.disabled = not can_apply(f)
        dismiss = w.Button(description="Dismiss", layout=w.Layout(width="auto"))
        apply.on_click(lambda _, f=f: on_apply(f))
        dismiss.on_click(lambda _, rule=f.rule: on_dismiss(rule))
        rows.append(w.VBox([text, w.HBox([apply, dismiss])]))
    if not rows:
        rows.append(w.HTML(notice("no findings", kind="ok")))
    if allow:
        restore = w.Button(description="Restore dismissed", layout=w.Layout(width="auto"))
        restore.on_click(lambda _: on_restore())
        label = w.HTML(f"dismissed (saved as <code>allow:</code>): {esc(', '.join(allow))}")
        rows.append(w.HBox([label, restore]))
    return rows


def price_table(
    project: Project,
    shot: Shot,
    variant: Variant,
    backends: Sequence[Backend],
    seeds: int,
    history: Mapping[str, AcceptanceRate],
) -> str:
    """Price per take and in all per backend, and price / acceptance rate: the expected
    spend for one accepted clip (15% assumed where the project has no verdicts yet)."""
    rows = []
    for backend in backends:
        try:
            price = backend.price(build_request(project, shot, variant, backend, 1))
        except Exception as exc:  # a missing image, a setting the backend cannot do
            rows.append(f"<tr><td>{esc(backend.spec)}</td><td colspan=5>{esc(exc)}</td></tr>")
            continue
        rate = history.get(backend.spec, AcceptanceRate())
        per = rate.cost_per_accepted(price)
        cells = (
            esc(backend.spec),
            f"${price:.2f}",
            str(seeds),
            f"${price * seeds:.2f}",
            esc(rate.describe()),
            "<b>n/a (none accepted yet)</b>" if per is None else f"<b>${per:.2f}</b>",
        )
        rows.append("<tr>" + "".join(f"<td style='{PAD}'>{c}</td>" for c in cells) + "</tr>")
    if not rows:
        return ""
    names = ("backend", "per take", "takes", "total", "acceptance", "per accepted clip")
    head = "".join(f"<th style='{PAD}'>{n}</th>" for n in names)
    return f"<table class='takelab-prices'><tr>{head}</tr>{''.join(rows)}</table>"


def variant_tips(home: Home, project: str, shot: str, variant: str) -> str:
    """'Try next' for a variant: the fixes for the reasons its takes were rejected for and
    the quality flags they raised (the learning loop, shown beside the variant)."""
    from takelab.journal.store import Journal
    from takelab.review.learning import suggestions

    if not home.has_journal:
        return ""
    journal = Journal(home.journal_url)
    latest = journal.latest_verdicts()
    tags: list[str] = []
    for record in journal.takes(project=project):
        if record.shot != shot or record.variant != variant:
            continue
        verdict = latest.get(record.take_id)
        if verdict is not None and verdict.verdict == "reject":
            tags.extend(verdict.reasons)
        tags.extend(record.flags)
    tips = "".join(
        f"<li class='takelab-tip'><b>{esc(tag)}</b>: {esc(fix)}</li>"
        for tag, fix in suggestions(tags)
    )
    return f"<b>Try next</b> (from this variant's takes)<ul>{tips}</ul>" if tips else ""
