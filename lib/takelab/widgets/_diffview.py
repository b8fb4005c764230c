"""Word diffs and version histories as HTML, shared by the Studio, the A/B player and Compare."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from takelab.widgets._common import esc

INSERT = "background:#d7f5dd;color:#0b5d1e;text-decoration:none"
DELETE = "background:#fbe1df;color:#8a1c12"


def short(version: str) -> str:
    """A version as people read it: the first 8 hex characters of the variant hash."""
    return version[:8]


def diff_html(pairs: Sequence[tuple[str, str]], *, title: str = "") -> str:
    """A word diff (("equal"|"insert"|"delete", words), ...) with insertions in green and
    deletions struck through in red."""
    parts = []
    for op, words in pairs:
        if op == "insert":
            parts.append(f"<ins class='takelab-ins' style='{INSERT}'>{esc(words)}</ins>")
        elif op == "delete":
            parts.append(f"<del class='takelab-del' style='{DELETE}'>{esc(words)}</del>")
        else:
            parts.append(esc(words))
    head = f"<div><b>{esc(title)}</b></div>" if title else ""
    if not any(op != "equal" for op, _ in pairs):
        body = " ".join(parts) + " <i>(same words)</i>"
    else:
        body = " ".join(parts)
    return f"{head}<div class='takelab-diff' style='max-width:90ch;line-height:1.6'>{body}</div>"


def history_html(rows: Sequence[Any], *, current: str | None, draft: str | None) -> str:
    """The versions of one variant (newest last) with their takes, verdicts and cost; the
    file's version and an unsaved draft's are marked."""
    pad = "padding:2px 8px;text-align:left"
    head = "".join(
        f"<th style='{pad}'>{h}</th>"
        for h in ("version", "first seen", "commit", "takes", "accepted", "rejected", "cost")
    )
    body = []
    for r in rows:
        marks = []
        if current and short(r.version) == short(current):
            marks.append("in the file")
        if draft and short(r.version) == short(draft):
            marks.append("the draft")
        mark = f" <i>({', '.join(marks)})</i>" if marks else ""
        commit = esc((r.commit or "")[:8]) + (" +edits" if r.dirty else "")
        cells = (
            f"<code>{esc(short(r.version))}</code>{mark}",
            esc(str(r.first_seen)[:16]),
            commit or "<i>none</i>",
            str(r.takes),
            str(r.accepted),
            str(r.rejected),
            f"${float(r.cost_usd):.2f}",
        )
        body.append("<tr>" + "".join(f"<td style='{pad}'>{c}</td>" for c in cells) + "</tr>")
    known = {short(r.version) for r in rows}
    for version, label in ((current, "in the file"), (draft, "the draft")):
        if version and short(version) not in known:
            known.add(short(version))
            body.append(
                f"<tr><td style='{pad}'><code>{esc(short(version))}</code> <i>({label})</i>"
                f"</td><td style='{pad}' colspan=6>no takes yet</td></tr>"
            )
    return (
        "<table class='takelab-history' style='border-collapse:collapse'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


__all__ = ["diff_html", "history_html", "short"]
