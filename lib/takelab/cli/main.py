"""The `takelab` command: a thin layer over the library for scripts and CI.

A user error prints one line (file, line, what to do) and exits non-zero; it never
shows a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from takelab.errors import TakelabError
from takelab.scrub import scrub

F = TypeVar("F", bound=Callable[..., Any])
# Piped output (scripts, CI) gets wide tables instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() else 200
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)


def fail(exc: TakelabError) -> NoReturn:
    """Print a TakelabError as one line (never a traceback) and exit with its code."""
    err.print(f"[bold red]error:[/] {escape(scrub(str(exc)))}", markup=True)
    sys.exit(exc.exit_code)


class _Group(click.Group):
    """Every command: a TakelabError (a damaged journal, an unreachable team server, a bad
    setting), or MLflow refusing the login, is one line and an exit code, never a
    traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from takelab.tracking.errors import refused

        try:
            return super().invoke(ctx)
        except TakelabError as exc:
            fail(exc)
        except Exception as exc:
            denied = refused(exc)
            if denied is None:
                raise
            fail(denied)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="takelab")
def main() -> None:
    """takelab: experiment with prompts for AI video generators."""
    from takelab.scrub import install_log_scrubbing

    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    install_log_scrubbing()


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    return table


def run() -> None:  # pragma: no cover - console entry for `python -m takelab`
    main()
