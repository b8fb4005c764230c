"""`takelab takes`, `verdict`, `sync` and `resolve`: the takes in the journal, their
verdicts, MLflow catching up, and settling an uncertain take."""

from __future__ import annotations

import csv
import io
import json
import sys

import click

from takelab.cli.main import err, fail, main, out, table
from takelab.errors import TakelabError, UsageError
from takelab.scrub import scrub

# -- takes and verdicts ------------------------------------------------------------------


@main.command()
@click.option("--project", default=None, help="only this project")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
def takes(project: str | None, fmt: str) -> None:
    """List takes with status, cost, verdict and file."""
    from takelab.review.listing import COLUMNS, grouped_by_version, take_rows

    rows = take_rows(project)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
    else:
        # Grouped by version, so the takes of one wording sit together.
        shown = [{**r, "version": r["version"][:8]} for r in grouped_by_version(rows)]
        out.print(table(f"{len(rows)} takes", COLUMNS, [[r[c] for c in COLUMNS] for r in shown]))


@main.command()
@click.argument("take")
@click.argument("verdict", type=click.Choice(["accept", "reject"]))
@click.option("--reason", "reasons", multiple=True, help="reason tag; repeatable")
@click.option("--note", default="", help="free text")
def verdict(take: str, verdict: str, reasons: tuple[str, ...], note: str) -> None:
    """Record a verdict on TAKE (an id or a unique prefix)."""
    from takelab.review.verdicts import record_verdict

    try:
        res = record_verdict(take, verdict, reasons, note)
    except TakelabError as exc:
        fail(exc)
    why = f" ({', '.join(res.verdict.reasons)})" if res.verdict.reasons else ""
    out.print(f"{res.take.take_id} {res.take.shot}/{res.take.variant}: {verdict}{why}")
    if res.deferred_to:
        out.print(
            f"recorded as your verdict; {res.deferred_to}'s next `takelab sync` shows it on"
            " their run"
        )
    elif not res.logged:
        err.print("warning: MLflow is unreachable; run `takelab sync` later")


@main.command()
def sync() -> None:
    """Log to MLflow the takes and verdicts it has not seen."""
    from takelab.review.sync import sync as do_sync

    try:
        report = do_sync()
    except TakelabError as exc:
        fail(exc)
    out.print(
        f"logged {report.takes_logged} takes, {report.verdicts_logged} verdicts and "
        f"{report.preferences_logged} preferences"
    )
    for e in report.errors:
        err.print(f"error: {scrub(e)}")
    sys.exit(1 if report.errors else 0)


@main.command()
@click.argument("take")
@click.option("--job", "job_id", default=None, help="the provider's job id, found on its dashboard")
@click.option("--not-created", is_flag=True, help="no job exists: release the money, retry later")
@click.option("--lost", is_flag=True, help="a job exists but its id is unknown: book it as spent")
@click.option(
    "--resubmit", is_flag=True, help="send it again on the next sweep (may pay twice; asks first)"
)
@click.option("--abandon", is_flag=True, help="give it up and book its price as spent (asks first)")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation (scripts)")
def resolve(
    take: str,
    job_id: str | None,
    not_created: bool,
    lost: bool,
    resubmit: bool,
    abandon: bool,
    yes: bool,
) -> None:
    """Resolve an uncertain TAKE (its create call may have reached the provider)."""
    from takelab.home import Home
    from takelab.journal.store import Journal, TakeState

    if sum((job_id is not None, not_created, lost, resubmit, abandon)) != 1:
        fail(
            UsageError(
                "give exactly one of --job ID, --not-created, --lost, --resubmit or --abandon"
            )
        )
    try:
        journal = Journal(Home.from_env().journal_url)
        record = journal.find(take)
        if record.state is not TakeState.UNCERTAIN:
            raise TakelabError(
                f"take {record.take_id} is {record.state}, not uncertain", hint="nothing to resolve"
            )
        price = f"${record.reserved_usd:.2f}"
        if resubmit and not yes:
            _confirm(
                f"The provider may already have made take {record.take_id} and charged for it."
                f" Resubmitting may pay up to {price} a second time. Resubmit it?"
            )
        if abandon and not yes:
            _confirm(
                f"Take {record.take_id} may have been made (and charged) at the provider; it"
                f" will never be fetched, and {price} is booked as spent. Abandon it?"
            )
        after = journal.resolve_uncertain(
            record.take_id,
            job_id=job_id,
            created=not (not_created or resubmit),
            abandon=abandon,
        )
    except TakelabError as exc:
        fail(exc)
    if job_id:
        out.print(f"{after.take_id}: attached job {job_id}; the next sweep resumes it")
    elif lost or abandon:
        what = "abandoned" if abandon else "lost"
        out.print(f"{after.take_id}: {what}; booked ${after.cost_usd or 0:.2f} as spent")
    else:
        out.print(
            f"{after.take_id}: released ${record.reserved_usd:.2f}; the next sweep submits it"
        )


def _confirm(question: str) -> None:
    """Ask before a step that may cost money; no answer (a script's closed stdin) is no."""
    try:
        confirmed = click.confirm(question, default=False, err=True)
    except click.Abort:
        confirmed = False
    if not confirmed:
        err.print("nothing changed (add --yes to confirm from a script)")
        sys.exit(1)
