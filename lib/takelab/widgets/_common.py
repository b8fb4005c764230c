"""Small helpers the widgets share: finding the project file, naming the project."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from takelab.home import resolve_project_path


def resolve_project_file(path: str | Path) -> Path:
    """Where the project file is, whatever the kernel's working directory: notebooks run
    from `notebooks/` but name project files as `prompts/<project>.yaml` (resolved in one
    place, `home.resolve_project_path`, for the widgets and `run_sweep` alike)."""
    return resolve_project_path(path)


def project_id(project: str | Path) -> str:
    """The project id, given an id or the path of a project file."""
    text = str(project)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        from takelab.project.model import load_project

        return load_project(resolve_project_file(text)).project
    return text


def esc(value: object) -> str:
    return html.escape(str(value))


def link(url: str, label: str) -> str:
    """An anchor that opens in a new tab and looks like a link inside widget output."""
    return (
        f'<a href="{html.escape(url)}" target="_blank" '
        f'style="color:#1a6fd1;text-decoration:underline">{html.escape(label)}</a>'
    )


def notice(text: str, *, kind: str = "info") -> str:
    """A short coloured message line (info, ok, warn, error) as HTML."""
    colour = {"info": "#555", "ok": "#1e7b34", "warn": "#9a6700", "error": "#b42318"}[kind]
    return f'<div class="takelab-{kind}" style="color:{colour}">{text}</div>'


def close_widgets(widgets: Sequence[Any]) -> None:
    """Close widgets that are no longer shown, children first (frees their comms)."""
    for widget in widgets:
        close_widgets(getattr(widget, "children", ()))
        widget.close()
