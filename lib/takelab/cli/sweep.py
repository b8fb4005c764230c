"""`takelab sweep`: a thin layer over `takelab.sweep.SweepLaunch`, which runs the sweep
notebook in a thread that this command follows with a progress bar and stops on Ctrl-C."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from takelab.cli.main import err, fail, main, out, table
from takelab.errors import TakelabError
from takelab.scrub import scrub

if TYPE_CHECKING:
    from takelab.sweep.launch import SweepLaunch
    from takelab.sweep.result import SweepResult


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
    from takelab.sweep.launch import SweepLaunch, check_setup
    from takelab.sweep.spec import SweepSpec

    home = Home.from_env().ensure()
    try:
        spec = SweepSpec.parse(
            {
                "project_file": file,
                "shots": shots,
                "variants": variants,
                "backends": backends or ("previz",),
                "seeds": seeds,
                "budget_usd": budget,
                "concurrency": concurrency,
                "retry_failed": retry_failed,
                "executor": executor,
                "ray_address": ray_address,
            }
        )
        check_setup(home)  # a down journal or a refused login: nothing spent
    except TakelabError as bad:
        fail(bad)
    with SweepLaunch(spec) as launch:
        try:
            launch.start()
            try:
                _follow(launch)
            except KeyboardInterrupt:
                # The kernel runs in its own session: the launch asks its sweep to stop.
                launch.stop()
                err.print(
                    "interrupted: no new takes are submitted; waiting for the running ones "
                    "(Ctrl-C again to leave now: submitted takes stay resumable)"
                )
                launch.wait()
        except KeyboardInterrupt:
            err.print("left at once: rerun the same command to resume the submitted takes")
            sys.exit(130)
    try:
        result = launch.result()
    except TakelabError as exc:
        fail(exc)
    except KeyboardInterrupt:
        err.print("the sweep was interrupted; rerun the same command to finish it")
        sys.exit(130)
    _print_sweep(result)
    if result.interrupted:
        err.print("the sweep was interrupted; rerun the same command to finish the rest")
        sys.exit(130)
    if result.verdict != "complete":
        # The sweep ran, but its grid is not done: say so in the exit code (contract: 3).
        err.print("incomplete: not every take is done or cached (exit code 3)")
        sys.exit(result.exit_code)


def _follow(launch: SweepLaunch) -> None:
    """A progress bar on stderr, fed by the sweep's progress events."""
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
        for event in launch.events():
            if event.total is not None:
                bar.update(task, total=event.total, description="takes")
            elif event.states is not None:  # where unfinished takes stand (Ray executor)
                states = ", ".join(f"{n} {s}" for s, n in event.states.items())
                bar.update(task, description=f"takes ({states})" if states else "takes")
            else:
                bar.advance(task)
                bar.update(task, last=f"{(event.take_id or '')[:10]} {event.status}")


def _print_sweep(result: SweepResult) -> None:
    out.print(
        table(
            "takes",
            ["shot", "variant", "backend", "seed", "status", "cost", "take"],
            [
                [o.shot, o.variant, o.backend, o.seed, o.status, f"{o.cost_usd:.2f}", o.take_id]
                for o in result.outcomes
            ],
        )
    )
    for o in result.outcomes:
        if o.status == "uncertain":
            err.print(f"uncertain {o.take_id}: {o.message}")
    for warning in result.warnings:
        err.print(f"warning: {scrub(warning)}")
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts.items()))
    out.print(counts + f"; spent ${result.spend_usd:.2f}")
    if result.notebook:
        out.print(f"executed notebook: {result.notebook}")
    else:
        out.print("executed notebook: none (every take was cached: no kernel was started)")
    if result.link:
        out.print(f"MLflow sweep run: {result.link}  (start the UI with `make ui`)")
