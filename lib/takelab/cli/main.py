"""The `takelab` command: a thin layer over the library for scripts and CI.

A user error prints one line (file, line, what to do) and exits non-zero; it never
shows a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from takelab.errors import TakelabError, UsageError
from takelab.scrub import scrub

F = TypeVar("F", bound=Callable[..., Any])
# Piped output (scripts, CI) gets wide tables instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() else 200
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)


def fail(exc: TakelabError) -> NoReturn:
    from rich.markup import escape

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


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    return table


# -- lint --------------------------------------------------------------------------------


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--backend", "backend", default=None, help="check limits of NAME[:MODEL]")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--explain", is_flag=True, help="show each finding's evidence: the phrase that matched"
)
def lint(file: Path, backend: str | None, fmt: str, explain: bool) -> None:
    """Lint a project file's variants; exit 1 on an error finding, 2 on a bad file."""
    from takelab.backends import get_backend
    from takelab.home import resolve_project_path
    from takelab.lint.rules import blocking, lint_project
    from takelab.project.model import load_project

    try:
        file = resolve_project_path(file)
        project = load_project(file)
        instance = get_backend(backend) if backend else None
        caps = instance.capabilities() if instance else None
        if instance is not None and caps is not None:
            from takelab.backends.capability_check import check_capabilities

            for shot in project.shots:
                for variant in shot.variants:
                    check_capabilities(project, shot, variant, instance, caps)
        findings = lint_project(project, capabilities=caps)
    except TakelabError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps([f.public() for f in findings], indent=2))
    else:
        for f in findings:
            where = f"{file}:{f.line or '?'}"
            sev = {"error": "red", "warning": "yellow"}.get(str(f.severity), "cyan")
            tail = " (overridden)" if f.overridden else ""
            out.print(
                f"{where}: [{sev}]{f.severity}[/] {f.shot}/{f.variant} [bold]{f.rule}[/]{tail}: "
                f"{escape(f.message)}",
                markup=True,
            )
            if explain:
                out.print(f"    evidence: {escape(f.evidence)}", markup=True)
            out.print(f"    fix: {escape(f.fix)}", markup=True)
        n_err = len(blocking(findings))
        out.print(f"{len(findings)} findings, {n_err} blocking errors in {file}")
    sys.exit(1 if blocking(findings) else 0)


# -- estimate ----------------------------------------------------------------------------


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--backend", "backends", multiple=True, help="NAME[:MODEL]; repeatable")
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--shot", "shots", multiple=True)
@click.option("--variant", "variants", multiple=True, help="SHOT/VARIANT; repeatable")
def estimate(
    file: Path,
    backends: tuple[str, ...],
    seeds: int,
    shots: tuple[str, ...],
    variants: tuple[str, ...],
) -> None:
    """Price a sweep before spending: takes and worst-case USD per backend."""
    from takelab.home import resolve_project_path
    from takelab.project.model import load_project
    from takelab.sweep import plan as planning

    try:
        project = load_project(resolve_project_path(file))
        planned = planning.plan(
            project, shots=shots, variants=variants, backends=backends or ("previz",), seeds=seeds
        )
        rows = planning.estimate(planned)
    except TakelabError as exc:
        fail(exc)
    total = sum(r.total_usd for r in rows)
    out.print(
        _table(
            f"{project.project}: {len(planned)} takes",
            ["backend", "takes", "runnable", "blocked by lint", "each (USD)", "total (USD)"],
            [
                [
                    r.backend,
                    r.takes,
                    r.runnable,
                    r.blocked,
                    f"{r.min_usd:.2f}"
                    if r.min_usd == r.max_usd
                    else f"{r.min_usd:.2f}-{r.max_usd:.2f}",
                    f"{r.total_usd:.2f}",
                ]
                for r in rows
            ],
        )
    )
    out.print(f"total worst case: ${total:.2f}")
    if project.budget_usd is not None:
        out.print(f"project budget: ${project.budget_usd:.2f}")


# -- sweep -------------------------------------------------------------------------------


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--shot", "shots", multiple=True, help="shot id; repeatable (default: all)")
@click.option("--variant", "variants", multiple=True, help="SHOT/VARIANT; repeatable")
@click.option("--backend", "backends", multiple=True, help="NAME[:MODEL]; default previz")
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--budget", type=click.FloatRange(min=0), default=None, help="USD ceiling")
@click.option("--concurrency", type=click.IntRange(min=1, max=64), default=4, show_default=True)
@click.option("--retry-failed", is_flag=True, help="submit failed takes again")
@click.option(
    "--executor",
    type=click.Choice(["threads", "ray"]),
    default="threads",
    show_default=True,
    help="where takes run: local threads, or Ray tasks (pip install takelab[ray])",
)
@click.option(
    "--ray-address",
    default=None,
    metavar="ADDR",
    help="Ray cluster to join (HOST:PORT, ray://HOST:PORT); default: start a local one",
)
def sweep(
    file: Path,
    shots: tuple[str, ...],
    variants: tuple[str, ...],
    backends: tuple[str, ...],
    seeds: int,
    budget: float | None,
    concurrency: int,
    retry_failed: bool,
    executor: str,
    ray_address: str | None,
) -> None:
    """Run a sweep through notebooks/02_sweep.ipynb with papermill (into runs/sweeps/).

    \b
    Exit codes:
      0    every take of the grid is done or cached
      1    the sweep could not run (an error, e.g. the kernel failed)
      2    bad input (project file, flag, parameter)
      3    the sweep ran, but some takes are failed, blocked, uncertain, pending,
           over budget or stopped by lint
      130  interrupted (submitted takes stay resumable)
    """
    from takelab.home import Home
    from takelab.sweep.notebook import run_sweep_notebook

    home = Home.from_env().ensure()
    try:
        _ = home.tracking_uri  # a team journal needs the team's MLflow too
        if home.shared_journal:  # a down journal or a refused login: one line, nothing spent
            from takelab.journal.store import Journal
            from takelab.tracking.tracker import Tracker

            Journal(home.journal_url)
            Tracker(home).check(down_ok=True)
    except TakelabError as bad_setup:
        fail(bad_setup)
    stamp = time.time_ns()
    progress_file = home.tmp / f"progress-{stamp}.jsonl"
    stop_file = home.tmp / f"stop-{stamp}"
    result: dict[str, Any] = {}
    error: list[BaseException] = []

    def work() -> None:
        try:
            nb, summary = run_sweep_notebook(
                file,
                shots=shots,
                variants=variants,
                backends=backends or ("previz",),
                seeds=seeds,
                budget_usd=budget,
                concurrency=concurrency,
                retry_failed=retry_failed,
                home=home,
                progress_file=progress_file,
                stop_file=stop_file,
                executor=executor,
                ray_address=ray_address,
            )
            result.update(summary, notebook=str(nb) if nb else None)
        except BaseException as exc:
            error.append(exc)
        finally:
            finished.set()

    # An Event, not Thread.join: a join interrupted by Ctrl-C can report a live thread dead.
    finished = threading.Event()
    thread = threading.Thread(target=work, daemon=True)
    try:
        thread.start()
        try:
            _follow(progress_file, finished)
        except KeyboardInterrupt:
            # The kernel runs in its own session: ask its sweep to stop through a file.
            stop_file.touch()
            err.print(
                "interrupted: no new takes are submitted; waiting for the running ones "
                "(Ctrl-C again to leave now: submitted takes stay resumable)"
            )
            while not finished.wait(0.2):
                pass
    except KeyboardInterrupt:
        err.print("left at once: rerun the same command to resume the submitted takes")
        sys.exit(130)
    finally:
        progress_file.unlink(missing_ok=True)
        stop_file.unlink(missing_ok=True)
    if error:
        exc = error[0]
        if isinstance(exc, TakelabError):
            fail(exc)
        if isinstance(exc, KeyboardInterrupt):
            err.print("the sweep was interrupted; rerun the same command to finish it")
            sys.exit(130)
        raise exc
    _print_sweep(result)
    if result.get("interrupted"):
        err.print("the sweep was interrupted; rerun the same command to finish the rest")
        sys.exit(130)
    if result.get("verdict") != "complete":
        # The sweep ran, but its grid is not done: say so in the exit code (contract: 3).
        err.print("incomplete: not every take is done or cached (exit code 3)")
        sys.exit(int(result.get("exit_code") or 3))


def _follow(progress_file: Path, finished: threading.Event) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("starting kernel", total=None, last="")
        offset = 0
        while not finished.wait(0.2):
            if not progress_file.exists():
                continue
            with progress_file.open() as fh:
                fh.seek(offset)
                chunk = fh.read()
            lines = chunk.split("\n")
            offset += len(chunk) - len(lines[-1])
            for line in lines[:-1]:
                event = json.loads(line)
                if "total" in event:
                    bar.update(task, total=event["total"], description="takes")
                elif "states" in event:  # where unfinished takes stand (Ray executor)
                    states = ", ".join(f"{n} {s}" for s, n in event["states"].items())
                    bar.update(task, description=f"takes ({states})" if states else "takes")
                else:
                    bar.advance(task)
                    bar.update(task, last=f"{event['take'][:10]} {event['status']}")


def _print_sweep(result: dict[str, Any]) -> None:
    counts: dict[str, int] = {}
    for o in result.get("outcomes", []):
        counts[o["status"]] = counts.get(o["status"], 0) + 1
    out.print(
        _table(
            "takes",
            ["shot", "variant", "backend", "seed", "status", "cost", "take"],
            [
                [
                    o["shot"],
                    o["variant"],
                    o["backend"],
                    o["seed"],
                    o["status"],
                    f"{o['cost_usd']:.2f}",
                    o["take_id"],
                ]
                for o in result.get("outcomes", [])
            ],
        )
    )
    for o in result.get("outcomes", []):
        if o["status"] == "uncertain":
            err.print(f"uncertain {o['take_id']}: {o['message']}")
    for warning in result.get("warnings", []):
        err.print(f"warning: {scrub(warning)}")
    spend = result.get("spend_usd", 0.0)
    out.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f"; spent ${spend:.2f}")
    if result.get("notebook"):
        out.print(f"executed notebook: {result['notebook']}")
    else:
        out.print("executed notebook: none (every take was cached: no kernel was started)")
    if result.get("link"):
        out.print(f"MLflow sweep run: {result['link']}  (start the UI with `make ui`)")


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
        out.print(_table(f"{len(rows)} takes", COLUMNS, [[r[c] for c in COLUMNS] for r in shown]))


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
    from takelab.tracking.sync import sync as do_sync

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


# -- backends ----------------------------------------------------------------------------


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def backends(fmt: str) -> None:
    """Backends, their capabilities and prices, then every model's status and price."""
    from takelab.backends import available_backends, backend_class
    from takelab.backends.models import model_rows

    models = model_rows()

    rows: list[dict[str, Any]] = []
    for name in available_backends():
        try:
            cls = backend_class(name)
            instance = cls(None)
            caps = instance.capabilities()
        except TakelabError as exc:
            rows.append({"name": name, "error": str(exc)})
            continue
        rows.append(
            {
                "name": name,
                "default_model": cls.default_model,
                "models": list(cls.models),
                "durations": caps.describe_durations(),
                "aspects": list(caps.aspects),
                "resolutions": list(caps.resolutions),
                "seed": caps.seed,
                "image_input": caps.image_input,
                "audio": caps.audio,
                "can": caps.words(),
                "price": getattr(cls, "price_note", ""),
                "model_table": [m for m in models if m["backend"] == name],
            }
        )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    out.print(
        _table(
            "backends",
            [
                "name",
                "default model",
                "durations",
                "aspects",
                "resolutions",
                "can (default model)",
                "price",
            ],
            [
                [
                    r["name"],
                    r.get("default_model", ""),
                    r.get("durations", r.get("error", "")),
                    " ".join(r.get("aspects", [])),
                    " ".join(r.get("resolutions", [])),
                    ", ".join(r.get("can", [])),
                    r.get("price", ""),
                ]
                for r in rows
            ],
        )
    )
    out.print(
        _table(
            "models",
            ["model", "status", "$/s", "$/s with audio", "can", "checked"],
            [
                [
                    f"{m['backend']}:{m['model']}",
                    _lifecycle(m),
                    _rate(m["usd_per_s"], m["usd_per_clip"], m["clip_s"]),
                    _rate(m["usd_per_s_audio"]),
                    ", ".join(m["can"]),
                    m["checked"],
                ]
                for m in models
            ],
        )
    )


def _rate(value: float | None, clip: float | None = None, clip_s: float | None = None) -> str:
    """USD per second, or per clip (per N seconds) where the provider prices it so."""
    if value is not None:
        return f"{value:.3f}"
    if clip is not None:
        return f"{clip:.2f}/{clip_s:g} s" if clip_s else f"{clip:.2f}/clip"
    return "-"


def _lifecycle(row: dict[str, Any]) -> str:
    """`ga`, or `retired 2026-10-22 -> veo:veo-3.1-generate-001`."""
    text = str(row["status"])
    if row["shutdown"]:
        text += f" {row['shutdown']}"
    if row["replacement"]:
        text += f" -> {row['replacement']}"
    return text


# -- qa ----------------------------------------------------------------------------------

QA_COLUMNS = ["file", "s", "size", "fps", "sharp", "flicker", "motion", "cuts", "frozen"]
QA_COLUMNS += ["black", "sound", "flags"]


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), help="asked seconds")
@click.option("--size", default=None, metavar="WxH", help="asked frame size, e.g. 1280x720")
@click.option("--fps", type=click.FloatRange(min=0, min_open=True), help="asked frame rate")
@click.option("--explain", is_flag=True, help="per flag: the metric against its threshold")
@click.option(
    "--audio/--no-audio", "asked", default=None, help="sound was asked for: flag `silent` if none"
)
def qa(
    files: tuple[Path, ...],
    fmt: str,
    duration: float | None,
    size: str | None,
    fps: float | None,
    explain: bool,
    asked: bool | None,
) -> None:
    """Automatic quality metrics and flags of video files, sound included; exit 2 if one
    cannot be read.

    With --explain, each flag's decision, its confidence (0.5 at the threshold, 1 far
    from it) and the metric against its threshold, one line each."""
    from takelab.errors import VideoError
    from takelab.media.audio_quality import AudioQuality, measure_audio
    from takelab.media.quality import Expected, Quality, measure

    width = height = None
    if size is not None:
        w, sep, h = size.lower().partition("x")
        if not (sep and w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0):
            raise click.BadParameter(
                f"expected WxH such as 1280x720, got {size!r}", param_hint="--size"
            )
        width, height = int(w), int(h)
    expected = Expected(duration_s=duration, width=width, height=height, fps=fps)
    results: list[Quality] = []
    sounds: list[AudioQuality] = []
    failed = False
    for file in files:
        try:
            q = measure(file, expected)
            sound = measure_audio(file, asked=asked)
            results.append(q)
            sounds.append(sound)
        except VideoError as exc:
            # An unreadable file is bad input, as a bad project file is for `lint`: exit 2.
            exc.exit_code = 2
            if len(files) == 1:
                fail(exc)
            err.print(f"[bold red]error:[/] {exc}", markup=True)
            failed = True
    if fmt == "json" and results:
        click.echo(
            json.dumps(
                [
                    {**q.model_dump(mode="json"), "audio": a.model_dump(mode="json")}
                    for q, a in zip(results, sounds, strict=True)
                ],
                indent=2,
            )
        )
    elif results:
        out.print(
            _table(
                "quality",
                QA_COLUMNS,
                [
                    [
                        q.path,
                        f"{q.duration_s:.2f}",
                        f"{q.width}x{q.height}",
                        f"{q.fps:g}",
                        "-" if q.sharpness is None else f"{q.sharpness:.2f}",
                        f"{q.flicker:.2f}",
                        f"{q.motion:.2f}",
                        q.cuts,
                        f"{q.frozen_ratio:.0%}",
                        f"{q.black_ratio:.0%}",
                        a.summary(),
                        (", ".join([*q.flags, *a.flags]) or "ok")
                        + (f" ({'; '.join(q.mismatches)})" if q.mismatches else ""),
                    ]
                    for q, a in zip(results, sounds, strict=True)
                ],
            )
        )
        if explain:
            for q in results:
                out.print(f"\n[bold]{q.path}[/]", markup=True)
                for line in q.explain():
                    out.print(f"  {line}", markup=False, highlight=False)
    if failed:
        sys.exit(2)


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


# -- cut ---------------------------------------------------------------------------------


@main.command()
@click.argument("project")
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path), default=None, help="the MP4 to write"
)
def cut(project: str, out_file: Path | None) -> None:
    """Assemble PROJECT's kept takes (a project file, or an id: prompts/<id>.yaml) into a
    disclosed, signed MP4 with .otio, .xml, .edl and .fcpxml timelines."""
    from takelab.post import make_cut

    try:
        result = make_cut(project, out_file, progress=sys.stderr.isatty())
    except TakelabError as exc:
        fail(exc)
    for s in result.takes:
        out.print(f"{s.entry.shot}: take {s.take_id} ({s.reason})")
    out.print(f"cut: {result.video} ({result.duration_s:.2f} s)")
    out.print("timelines: " + ", ".join(str(p) for p in result.timelines.values()))
    if result.manifest is not None:
        out.print(f"content credentials: {result.validation_state} ({result.manifest})")
    if result.link:  # warnings were logged as they arose
        out.print(f"MLflow cut run: {result.link}  (start the UI with `make ui`)")


@main.command()
@click.option("--dry-run", is_flag=True, help="only check; change nothing")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def doctor(dry_run: bool, fmt: str) -> None:
    """Check the store (journal vs MLflow vs files) and repair what can be repaired."""
    from dataclasses import asdict

    from takelab.doctor.diagnose import doctor as run_doctor

    try:
        report = run_doctor(repair=not dry_run)
    except TakelabError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps([asdict(p) for p in report.problems], indent=2))
    elif report.problems:
        out.print(
            _table(
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


# The review commands (versions, diff, prefer, rank) live in their own module.
from takelab.cli import review as cli_review  # noqa: E402, F401


def run() -> None:  # pragma: no cover - console entry for `python -m takelab`
    main()
