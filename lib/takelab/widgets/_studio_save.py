"""The Studio's draft-and-save half: the draft's version shown against the file's, Save
as a new revision or a new variant, Duplicate, and Commit with a message (a separate step:
saving never commits)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from takelab.project.model import Project, Variant, load_project
from takelab.widgets._common import esc, notice
from takelab.widgets._diffview import short
from takelab.widgets.project_edit import (
    Edit,
    add_variant,
    commit_file,
    duplicate_variant,
    update_variant,
)


class StudioSaving:
    """Mixed into Studio: the actions that write or commit the project file."""

    path: Path
    project: Project
    shot: Any
    variant: Any
    mode: Any
    inputs: dict[str, Any]
    allow: list[str]
    save_as: Any
    new_id: Any
    commit_message: Any
    draft_label: Any
    status: Any
    history: Any

    if TYPE_CHECKING:  # provided by Studio

        def draft(self, *, structured: bool | None = None) -> dict[str, Any]:
            raise NotImplementedError

        def values(self) -> dict[str, str]:
            raise NotImplementedError

        def refresh(self) -> None:
            raise NotImplementedError

        def _select(self, variant_id: str) -> None:
            raise NotImplementedError

        def _show_mode(self) -> None:
            raise NotImplementedError

        def _quiet(self) -> Any:
            raise NotImplementedError

        @property
        def saved(self) -> Variant:
            raise NotImplementedError

        @property
        def dirty(self) -> bool:
            raise NotImplementedError

    def version_of(self, variant: Variant) -> str:
        """A variant's version: the hash of what is sent (as takes record it)."""
        return variant.hash(self.project.defaults)

    def _show_draft(self, variant: Variant) -> None:
        saved = self.version_of(self.saved)
        if self.dirty:
            self.draft_label.value = notice(
                f"<b>draft</b> (unsaved), version <code>{short(self.version_of(variant))}</code>"
                f" · the file holds <code>{short(saved)}</code>. Generate renders the draft"
                " without touching the file; Save keeps it.",
                kind="warn",
            )
        else:
            self.draft_label.value = notice(f"version <code>{short(saved)}</code>, as saved")
        self.history.refresh(draft=variant)

    def _show_save_as(self) -> None:
        self.new_id.layout.display = None if self.save_as.value == "new variant" else "none"

    def _saved(self, edit: Edit, verb: str) -> None:
        self.project = load_project(self.path)
        self.commit_message.value = self.commit_message.value or f"studio: {verb} {edit.name}"
        self.status.value = notice(
            f"{verb} {esc(edit.name)} in {esc(self.path.name)} (not committed: write a "
            "message and press Commit when you want this in git)",
            kind="ok",
        )

    def save(self, *, as_new: bool | None = None) -> Edit:
        """Write the draft: over the selected variant (a new revision of it), or as a new
        variant after it, as `save as` says. Nothing is committed."""
        if as_new is None:
            as_new = self.save_as.value == "new variant"
        if as_new:
            return self.save_as_new()
        edit = update_variant(
            self.path, self.shot.value, self.variant.value, self.draft(), commit=False
        )
        self._saved(edit, "revised")
        self.refresh()
        return edit

    def save_as_new(self) -> Edit:
        """Write the draft as a new variant after the selected one, and select it."""
        edit = add_variant(
            self.path,
            self.shot.value,
            self.draft(),
            variant_id=self.new_id.value.strip() or None,
            after=self.variant.value,
            commit=False,
        )
        self.new_id.value = ""
        self._saved(edit, "added")
        self._select(edit.variant)
        return edit

    def duplicate(self) -> Edit:
        """Copy the selected variant as saved; unsaved edits carry over to the copy."""
        values, allow, mode = self.values(), list(self.allow), self.mode.value
        edit = duplicate_variant(self.path, self.shot.value, self.variant.value, commit=False)
        self._saved(edit, "duplicated as")
        self._select(edit.variant)
        with self._quiet():
            self.mode.value = mode
            for name, value in values.items():
                self.inputs[name].value = value
        self.allow = allow
        self._show_mode()
        self.refresh()
        return edit

    def commit(self) -> str | None:
        """Commit the project file (only it) with the message typed; the new HEAD."""
        message = self.commit_message.value.strip()
        if not message:
            self.status.value = notice("write a commit message first", kind="warn")
            return None
        sha = commit_file(self.path, message)
        if sha is None:
            self.status.value = notice(
                f"nothing to commit: {esc(self.path.name)} is not in git or has no changes"
            )
            return None
        self.commit_message.value = ""
        self.status.value = notice(f"committed {esc(self.path.name)}: {sha[:10]}", kind="ok")
        self.history.refresh()
        return sha


__all__ = ["StudioSaving"]
