"""`takelab doctor --settings`: every setting, its value and where it came from.

Secrets (provider keys, passwords, tokens, the journal URL's password) are masked by
`settings.describe`; nothing here sees an unmasked secret.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from takelab.errors import SettingsError
from takelab.settings import describe, settings


def print_settings(out: Console, err: Console, fmt: str) -> int:
    """Print the settings as a table or JSON; the exit code: 2 when one is bad, else 0."""
    rows = describe()
    try:
        settings()
        problem: SettingsError | None = None
    except SettingsError as exc:
        problem = exc
    if fmt == "json":
        out.print_json(json.dumps([asdict(r) for r in rows]))
    else:
        table = Table(title="settings", show_lines=False)
        for column in ("variable", "value", "from", "what it is"):
            table.add_column(column, overflow="fold")
        for r in rows:
            table.add_row(r.variable, escape(r.value), escape(r.source), escape(r.description))
        out.print(table)
    if problem is not None:
        err.print(f"[bold red]error:[/] {escape(str(problem))}", markup=True)
        return problem.exit_code
    return 0
