"""Takes as rows for tables, JSON and CSV: journal state joined with the latest verdict."""

from __future__ import annotations

from typing import Any

from takelab.home import Home
from takelab.journal import Journal
from takelab.scrub import scrub

COLUMNS = (
    "take_id",
    "project",
    "shot",
    "variant",
    "backend",
    "seed",
    "status",
    "cost_usd",
    "verdict",
    "reasons",
    "file",
)


def take_rows(project: str | None = None, *, home: Home | None = None) -> list[dict[str, Any]]:
    """One dict per take in the journal, oldest first."""
    home = home or Home.from_env()
    if not home.has_journal:
        return []
    journal = Journal(home.journal_url)
    latest = journal.latest_verdicts()
    rows = []
    for rec in journal.takes(project=project):
        verdict = latest.get(rec.take_id)
        rows.append(
            {
                "take_id": rec.take_id,
                "project": rec.project,
                "shot": rec.shot,
                "variant": rec.variant,
                "backend": f"{rec.backend}:{rec.model}",
                "seed": rec.seed,
                "status": str(rec.state),
                "cost_usd": round(float(rec.cost_usd or 0.0), 4),
                "verdict": verdict.verdict if verdict else "unreviewed",
                "reasons": ",".join(verdict.reasons) if verdict else "",
                "note": verdict.note if verdict else "",
                "file": rec.path or "",
                "error": scrub(rec.error_message or ""),  # an older journal may hold a key
            }
        )
    return rows
