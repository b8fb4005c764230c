"""Takes as rows for tables, JSON and CSV: journal state joined with the latest verdict."""

from __future__ import annotations

from typing import Any

from takelab.home import Home
from takelab.journal.store import Journal, TakeRecord, VerdictRecord
from takelab.scrub import scrub

COLUMNS = (
    "take_id",
    "project",
    "shot",
    "variant",
    "version",
    "backend",
    "seed",
    "status",
    "cost_usd",
    "verdict",
    "reasons",
    "file",
)
# Every field of `take_rows`, in order: the table's columns, the note after the reasons,
# then what only JSON and CSV show.
FIELDS = (*COLUMNS[:-1], "note", "file", "error", "git_commit", "git_dirty")


def reviewed_takes(
    project: str | None = None, *, home: Home | None = None
) -> list[tuple[TakeRecord, VerdictRecord | None]]:
    """Each take in the journal, oldest first, with its latest verdict (None: unreviewed);
    empty when there is no journal yet."""
    home = home or Home.from_env()
    if not home.has_journal:
        return []
    journal = Journal(home.journal_url)
    latest = journal.latest_verdicts()
    return [(rec, latest.get(rec.take_id)) for rec in journal.takes(project=project)]


def take_fields(rec: TakeRecord, verdict: VerdictRecord | None) -> dict[str, Any]:
    """What every table of takes shows of one take: its id, what it was made from, its
    state and its latest verdict."""
    return {
        "take_id": rec.take_id,
        "shot": rec.shot,
        "variant": rec.variant,
        "version": rec.version,
        "seed": rec.seed,
        "status": str(rec.state),
        "verdict": verdict.verdict if verdict else "unreviewed",
        "reasons": ",".join(verdict.reasons) if verdict else "",
    }


def take_rows(project: str | None = None, *, home: Home | None = None) -> list[dict[str, Any]]:
    """One dict per take in the journal, oldest first; `version` is the variant's hash
    (what the take was made from), `git_dirty` whether the file differed from `git_commit`."""
    rows = []
    for rec, verdict in reviewed_takes(project, home=home):
        row = take_fields(rec, verdict) | {
            "project": rec.project,
            "backend": f"{rec.backend}:{rec.model}",
            "cost_usd": round(float(rec.cost_usd or 0.0), 4),
            "note": verdict.note if verdict else "",
            "file": rec.path or "",
            "error": scrub(rec.error_message or ""),  # an older journal may hold a key
            "git_commit": rec.git_commit or "",
            "git_dirty": rec.git_dirty,
        }
        rows.append({k: row[k] for k in FIELDS})  # CSV and JSON keep this order
    return rows


def grouped_by_version(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by project, shot, variant and version (versions in order of first sight,
    takes oldest first within each), for the table a person reads."""
    first: dict[tuple[str, str, str, str], int] = {}
    for i, r in enumerate(rows):
        first.setdefault((r["project"], r["shot"], r["variant"], r["version"]), i)
    return sorted(
        rows,
        key=lambda r: (
            r["project"],
            r["shot"],
            r["variant"],
            first[(r["project"], r["shot"], r["variant"], r["version"])],
        ),
    )
