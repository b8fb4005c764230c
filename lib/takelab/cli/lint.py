"""`takelab lint` and `takelab estimate`: a project file's findings, and a sweep's price
before spending."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.markup import escape

from takelab.cli.main import fail, main, out, table
from takelab.errors import TakelabError

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
        table(
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
