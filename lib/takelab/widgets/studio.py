"""Studio: write and try variants of a shot's prompt, without ever losing a wording.

Edit a variant (free text or structured fields) and see the rendered prompt and the lint
findings update as you type (debounced); apply or dismiss a finding's fix; pick backends
and seeds and see the price, and the expected cost of one *accepted* clip, before
spending. An edit is a *draft* until it is saved: Generate renders takes of the draft's
version without writing the file. Save writes the draft through the round-trip YAML editor
(comments and order kept), as a new revision of the same variant or as a new variant id;
Commit, with a message, is a separate step. Beside the editor, the variant's history: each
version with its takes and verdicts, and the word diff against the draft.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from takelab.backends import Backend, get_backend
from takelab.home import Home
from takelab.lint.rules import Finding
from takelab.project.model import (
    STRUCTURED_FIELDS,
    Project,
    Variant,
    load_project,
    project_from_text,
)
from takelab.review.analytics import AcceptanceRate, acceptance_history
from takelab.sweep.run import SweepResult, run_sweep
from takelab.sweep.take import Outcome
from takelab.widgets._common import close_widgets, esc, link, notice, resolve_project_file
from takelab.widgets._diffview import short
from takelab.widgets._fixes import apply_fix
from takelab.widgets._player import MediaLinks, take_player
from takelab.widgets._studio_history import StudioHistory
from takelab.widgets._studio_parts import (
    backend_options,
    draft_fields,
    editor_inputs,
    finding_rows,
    lint_draft,
    normal,
    price_table,
    variant_tips,
)
from takelab.widgets._studio_save import StudioSaving
from takelab.widgets.project_edit import updated_text as _updated_text

MODES = ("free text", "structured")
SAVE_AS = ("new revision", "new variant")


class Studio(StudioSaving):
    """Edit, lint, price and generate the variants of one project file."""

    def __init__(
        self,
        project_file: str | Path,
        *,
        backends: Sequence[str] = ("previz",),
        seeds: int = 1,
        concurrency: int = 2,
        debounce_s: float = 0.4,
        home: Home | None = None,
        links: MediaLinks | None = None,
    ) -> None:
        import ipywidgets as w

        self.path = resolve_project_file(project_file).resolve()
        self.project = load_project(self.path)
        self.home = home or Home.from_env()
        self.links = links or MediaLinks(self.home)
        self.concurrency = concurrency
        self.debounce_s = debounce_s
        self.allow: list[str] = []
        self.findings: list[Finding] = []
        self.last_result: SweepResult | None = None
        self._backends: dict[str, Backend] = {}
        self._loading = False
        self._timer: asyncio.TimerHandle | None = None

        shots = [s.id for s in self.project.shots]
        self.shot = w.Dropdown(options=shots, value=shots[0], description="shot")
        self.variant = w.Dropdown(description="variant")
        self.mode = w.ToggleButtons(options=MODES)
        self.inputs: dict[str, Any] = editor_inputs()
        self.rendered = w.HTML()
        self.lint_box = w.VBox()
        names, options = backend_options(backends)
        self.backends = w.SelectMultiple(
            options=options, value=tuple(names), description="backends", rows=4
        )
        self.seeds = w.BoundedIntText(value=seeds, min=1, max=100, description="seeds 1..N")
        self.prices = w.HTML()
        self.draft_label = w.HTML()
        self.save_as = w.ToggleButtons(options=SAVE_AS, description="save as")
        self.new_id = w.Text(
            placeholder="id (blank: next vN)", layout=w.Layout(width="160px", display="none")
        )
        self.save_button = w.Button(description="Save", icon="save")
        self.duplicate_button = w.Button(description="Duplicate", icon="copy")
        self.revert_button = w.Button(description="Discard draft", icon="undo")
        self.edit_buttons = (self.save_button, self.duplicate_button, self.revert_button)
        self.commit_message = w.Text(placeholder="commit message", layout=w.Layout(width="360px"))
        self.commit_button = w.Button(description="Commit", icon="code-fork")
        self.history = StudioHistory(self)
        self.generate_button = w.Button(description="Generate", button_style="primary", icon="play")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="takes")
        self.progress_label = w.HTML()
        self.results = w.GridBox(
            layout=w.Layout(grid_template_columns="repeat(auto-fill, 330px)", grid_gap="8px")
        )
        self.status = w.HTML()

        self.shot.observe(lambda _: self._load_shot(), names="value")
        self.variant.observe(lambda _: self.load_variant(), names="value")
        self.mode.observe(self._on_mode, names="value")
        for control in self.inputs.values():
            control.observe(lambda _: self._schedule(), names="value")
        self.backends.observe(lambda _: self.refresh(), names="value")
        self.seeds.observe(lambda _: self.refresh_prices(), names="value")
        self.save_as.observe(lambda _: self._show_save_as(), names="value")
        self.save_button.on_click(lambda _: self._guard(self.save))
        self.commit_button.on_click(lambda _: self._guard(self.commit))
        self.duplicate_button.on_click(lambda _: self._guard(self.duplicate))
        self.revert_button.on_click(lambda _: self.load_variant())
        self.generate_button.on_click(lambda _: self._guard(self.generate))

        fields = w.VBox([self.mode, *self.inputs.values()], layout=w.Layout(width="55%"))
        right = w.VBox(
            [
                w.HTML("<b>Rendered prompt</b>"),
                self.rendered,
                w.HTML("<b>Lint</b>"),
                self.lint_box,
                self.history.widget,
            ],
            layout=w.Layout(width="45%"),
        )
        self.widget = w.VBox(
            [
                w.HBox([self.shot, self.variant]),
                w.HBox([fields, right]),
                w.HBox([self.backends, self.seeds]),
                self.prices,
                self.draft_label,
                w.HBox([self.save_as, self.new_id, *self.edit_buttons]),
                w.HBox([self.commit_message, self.commit_button]),
                w.HBox([self.generate_button, self.progress, self.progress_label]),
                self.status,
                self.results,
            ]
        )
        self._load_shot()

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Change controls without each change re-linting (one refresh follows)."""
        self._loading = True
        try:
            yield
        finally:
            self._loading = False

    # -- loading -------------------------------------------------------------------------

    @property
    def saved(self) -> Variant:
        """The selected variant as the file has it."""
        return self.project.shot(self.shot.value).variant(self.variant.value)

    def _load_shot(self) -> None:
        self._select(self.project.shot(self.shot.value).variants[0].id)

    def load_variant(self) -> None:
        """Put the saved variant into the editor (dropping unsaved edits)."""
        if self._loading or self.variant.value is None:
            return
        v = self.saved
        with self._quiet():
            self.mode.value = "structured" if v.structured else "free text"
            for name, control in self.inputs.items():
                value = getattr(v, name)
                control.value = (
                    "" if value is None else f"{value:g}" if name == "duration" else value
                )
            self.allow = list(v.allow)
        self._show_mode()
        self.refresh()

    def _show_mode(self) -> None:
        structured = self.mode.value == "structured"
        self.inputs["prompt"].layout.display = "none" if structured else None
        for name in STRUCTURED_FIELDS:
            if name != "style":
                self.inputs[name].layout.display = None if structured else "none"

    def _on_mode(self, change: dict[str, Any]) -> None:
        if self._loading:
            return
        if change["new"] == "free text" and not self.inputs["prompt"].value.strip():
            with contextlib.suppress(ValueError):
                rendered = self.draft_variant(structured=True).render(self.project.defaults)
                self.inputs["prompt"].value = rendered
        self._show_mode()
        self.refresh()

    # -- the draft -----------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        """What the editor holds, as text, field by field."""
        return {name: str(control.value or "") for name, control in self.inputs.items()}

    def draft(self, *, structured: bool | None = None) -> dict[str, Any]:
        """The editor as variant fields (None drops a field); ValueError on a bad duration."""
        structured = self.structured if structured is None else structured
        return draft_fields(self.values(), self.allow, structured=structured)

    def draft_variant(self, *, structured: bool | None = None) -> Variant:
        fields = {k: v for k, v in self.draft(structured=structured).items() if v is not None}
        return Variant(id=self.variant.value, **fields)

    @property
    def dirty(self) -> bool:
        """The editor differs from the file."""
        try:
            draft = self.draft_variant()
        except ValueError:
            return True
        return normal(draft) != normal(self.saved)

    # -- lint and prices -----------------------------------------------------------------

    def _schedule(self) -> None:
        """Re-lint after a pause in typing (immediately outside a running kernel)."""
        if self._loading:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.refresh()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(self.debounce_s, self.refresh)

    def _backend(self, spec: str) -> Backend:
        if spec not in self._backends:
            self._backends[spec] = get_backend(spec)
        return self._backends[spec]

    def refresh(self) -> None:
        """Render, lint and price the draft."""
        self._timer = None
        try:
            variant = self.draft_variant()
        except ValueError as exc:
            self.rendered.value = notice(esc(exc), kind="error")
            return
        self.rendered.value = (
            f"<p style='max-width:70ch'>{esc(variant.render(self.project.defaults))}</p>"
        ) + variant_tips(self.home, self.project.project, self.shot.value, variant.id)
        backends = [self._backend(spec) for spec in self.backends.value]
        self.findings = lint_draft(variant, self.project, self.shot.value, backends)
        old = list(self.lint_box.children)
        self.lint_box.children = finding_rows(
            self.findings,
            self.allow,
            can_apply=lambda f: apply_fix(self.values(), f, structured=self.structured) is not None,
            on_apply=self.apply,
            on_dismiss=self.dismiss,
            on_restore=self.restore,
        )
        close_widgets(old)
        self.refresh_prices(variant)
        self._show_draft(variant)

    @property
    def structured(self) -> bool:
        return bool(self.mode.value == "structured")

    def apply(self, finding: Finding) -> None:
        """Edit the draft as the finding's fix says (the file changes on Save)."""
        fixed = apply_fix(self.values(), finding, structured=self.structured)
        if fixed is None:
            self.status.value = notice(f"{esc(finding.rule)}: this fix needs you", kind="warn")
            return
        with self._quiet():
            for name, value in fixed.items():
                self.inputs[name].value = value
        self.refresh()

    def dismiss(self, rule: str) -> None:
        """Hide a finding for this variant; saved as `allow:` so errors no longer block."""
        if rule not in self.allow:
            self.allow.append(rule)
        self.refresh()

    def restore(self) -> None:
        self.allow = []
        self.refresh()

    def acceptance(self) -> dict[str, AcceptanceRate]:
        return acceptance_history(self.project.project, home=self.home)

    def refresh_prices(self, variant: Variant | None = None) -> None:
        """Price per backend and the expected cost of one accepted clip."""
        try:
            variant = variant or self.draft_variant()
        except ValueError:
            return
        self.prices.value = price_table(
            self.project,
            self.project.shot(self.shot.value),
            variant,
            [self._backend(spec) for spec in self.backends.value],
            int(self.seeds.value),
            self.acceptance(),
        )

    # -- the draft and saving -------------------------------------------------------------

    def _guard(self, action: Any) -> None:
        try:
            action()
        except Exception as exc:  # show it where the user looks, not in the kernel log
            self.status.value = notice(esc(exc), kind="error")

    def _select(self, variant_id: str) -> None:
        with self._quiet():
            self.variant.options = [v.id for v in self.project.shot(self.shot.value).variants]
            self.variant.value = variant_id
        self.load_variant()

    # -- generating ----------------------------------------------------------------------

    def draft_project(self) -> Project:
        """The project as it would be with the draft saved, in memory (the file is not
        written): its path is the real file, so takes record where they came from."""
        text = _updated_text(self.path, self.shot.value, self.variant.value, self.draft())
        return project_from_text(text, self.path)

    def generate(self) -> SweepResult:
        """Run the editor's variant on each backend and seed: the draft's version when
        there is one (the file stays as it is), else the saved one."""
        draft = self.dirty
        source: Project | Path = self.draft_project() if draft else self.path
        name = f"{self.shot.value}/{self.variant.value}"
        seeds = list(range(1, int(self.seeds.value) + 1))
        self.progress.max = max(1, len(self.backends.value) * len(seeds))
        self.progress.value = 0
        self.progress_label.value = f"running {esc(name)}..."
        close_widgets(list(self.results.children))
        self.results.children = []
        result = run_sweep(
            source,
            variants=[name],
            backends=list(self.backends.value),
            seeds=seeds,
            concurrency=self.concurrency,
            progress=False,
            on_outcome=self._landed,
            home=self.home,
            draft=draft,  # the takes record that the file does not hold their wording
        )
        self.last_result = result
        warnings = "".join(
            notice(f"warning: {esc(x)}", kind="warn")
            for x in result.warnings
            if not (draft and "uncommitted" in x)
        )
        runs = " · " + link(result.link, "sweep in MLflow") if result.link else ""
        what = (
            f"draft version {short(self.version_of(self.draft_variant()))} "
            "(the file is unchanged: Save keeps this wording) · "
            if draft
            else ""
        )
        self.progress_label.value = "done"
        self.status.value = notice(f"{what}{esc(result.describe())}{runs}", kind="ok") + warnings
        self.refresh_prices()
        self.history.refresh()
        return result

    def _landed(self, outcome: Outcome) -> None:
        import ipywidgets as w

        self.progress.value += 1
        caption = (
            f"<div>{esc(outcome.backend)} seed {outcome.seed}: <b>{esc(outcome.status)}</b>"
            f" ${outcome.cost_usd:.2f}</div>"
        )
        if outcome.path and Path(outcome.path).exists():
            body = take_player(self.links, outcome.take_id, width=320)
        else:
            body = f"<div style='width:320px'>{esc(outcome.message)}</div>"
        self.results.children = [*self.results.children, w.HTML(body + caption)]

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


__all__ = ["Studio"]
