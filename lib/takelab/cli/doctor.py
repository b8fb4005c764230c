"""`takelab doctor` (check and repair the store) and `takelab team` (the team server's
admin commands)."""

from __future__ import annotations

import json
import sys

import click

from takelab.cli.main import err, fail, main, out, table
from takelab.errors import TakelabError


@main.command()
@click.option("--dry-run", is_flag=True, help="only check; change nothing")
@click.option("--settings", "show_settings", is_flag=True, help="print every setting instead")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def doctor(dry_run: bool, show_settings: bool, fmt: str) -> None:
    """Check the store (journal vs MLflow vs files) and repair what can be repaired;
    with --settings, print every setting, its value and where it came from (secrets
    masked)."""
    from dataclasses import asdict

    if show_settings:
        from takelab.cli.settings_view import print_settings

        sys.exit(print_settings(out, err, fmt))

    from takelab.doctor.diagnose import doctor as run_doctor

    try:
        report = run_doctor(repair=not dry_run)
    except TakelabError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps([asdict(p) for p in report.problems], indent=2))
    elif report.problems:
        out.print(
            table(
                "store problems",
                ["problem", "subject", "detail", "repaired"],
                [
                    [p.kind, p.subject, p.detail, "yes" if p.repaired else "no"]
                    for p in report.problems
                ],
            )
        )
    else:
        out.print("the store is consistent: journal, MLflow and files agree")
    sys.exit(1 if report.unrepaired else 0)


@main.command(
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def team(args: tuple[str, ...]) -> None:
    """Team server (admin, on its host): up | down | add-member NAME | remove-member NAME |
    budget PROJECT USD."""
    from takelab.team.host import main as team_main

    sys.exit(team_main(list(args)))
