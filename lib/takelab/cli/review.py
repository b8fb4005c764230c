"""Review commands of `takelab`: versions, diff, prefer and rank (registered on cli.main).

Thin, like the rest of the CLI: the work is in versions.py, preferences.py and ranking.py.
"""

from __future__ import annotations

import json

import click

from takelab.cli.main import err, fail, main, out, table
from takelab.errors import TakelabError

FORMATS = click.Choice(["table", "json"])
VERSION_COLUMNS = ["shot", "variant", "version", "first seen", "commit", "takes"]
VERSION_COLUMNS += ["accepted", "rejected", "cost", "text"]


@main.command()
@click.argument("project")
@click.option("--shot", default=None, help="only this shot")
@click.option("--variant", default=None, help="only this variant id")
@click.option("--format", "fmt", type=FORMATS, default="table")
def versions(project: str, shot: str | None, variant: str | None, fmt: str) -> None:
    """Every version of each variant of PROJECT (a project file, or an id:
    prompts/<id>.yaml) with its takes, verdicts and cost; * marks the file's current one."""
    from takelab.review.versions import versions as list_versions

    try:
        rows = list_versions(project, shot=shot, variant=variant)
    except TakelabError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps([r.public() for r in rows], indent=2))
        return
    out.print(
        table(
            f"{len(rows)} versions",
            VERSION_COLUMNS,
            [
                [
                    r.shot,
                    r.variant,
                    r.short + (" *" if r.current else ""),
                    r.first_seen.replace("T", " ").removesuffix("+00:00") or "not yet",
                    (r.commit or "-")[:10] + (" (edited)" if r.dirty else ""),
                    r.takes,
                    r.accepted,
                    r.rejected,
                    f"{r.cost_usd:.2f}",
                    r.text,
                ]
                for r in rows
            ],
        )
    )


@main.command()
@click.argument("project")
@click.argument("ref_a", metavar="SHOT/VARIANT[@VERSION]")
@click.argument("ref_b", metavar="SHOT/VARIANT[@VERSION]")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def diff(project: str, ref_a: str, ref_b: str, fmt: str) -> None:
    """Word-level diff of two versions' prompts and settings. A version is a unique prefix
    of its hash (see `takelab versions`); without one, the file's current version."""
    from takelab.review.versions import diff_versions

    try:
        d = diff_versions(project, ref_a, ref_b)
    except TakelabError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps(d.public(), indent=2))
        return
    click.echo(d.text())


@main.command()
@click.argument("take_a")
@click.argument("take_b")
@click.option(
    "--winner",
    type=click.Choice(["a", "b", "same"]),
    required=True,
    help="which take is better: a (the first), b (the second) or same",
)
@click.option("--reason", default=None, help="why, in a few words")
def prefer(take_a: str, take_b: str, winner: str, reason: str | None) -> None:
    """Record which of two takes (ids or unique prefixes) is better, for `takelab rank`."""
    from takelab.review.preferences import record_preference

    try:
        res = record_preference(take_a, take_b, winner, reason)
    except TakelabError as exc:
        fail(exc)
    a, b = res.take_a, res.take_b
    names = {
        "a": f"{a.take_id} ({a.shot}/{a.variant}@{a.version[:8]})",
        "b": f"{b.take_id} ({b.shot}/{b.variant}@{b.version[:8]})",
    }
    if winner == "same":
        out.print(f"{names['a']} and {names['b']}: the same")
    else:
        loser = "b" if winner == "a" else "a"
        out.print(f"{names[winner]} is better than {names[loser]}")
    if not res.logged:
        err.print("warning: MLflow is unreachable; run `takelab sync` later")


@main.command()
@click.argument("project")
@click.option("--shot", required=True, help="the shot whose versions are ranked")
@click.option("--format", "fmt", type=FORMATS, default="table")
def rank(project: str, shot: str, fmt: str) -> None:
    """Rank the versions of a shot by the preferences between their takes (Bradley-Terry,
    with 95% intervals and the comparisons behind each)."""
    from takelab.review.ranking import rank as fit

    try:
        strengths = fit(project, shot=shot)
    except TakelabError as exc:
        fail(exc)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "key": s.key,
                        "variant": s.key.split("@")[0],
                        "version": s.key.split("@")[1],
                        "strength": round(s.strength, 4),
                        "lo": round(s.lo, 4),
                        "hi": round(s.hi, 4),
                        "comparisons": s.comparisons,
                    }
                    for s in strengths
                ],
                indent=2,
            )
        )
        return
    if not strengths:
        out.print(
            f"no preferences between versions of {shot} yet: "
            "record some with `takelab prefer TAKE_A TAKE_B --winner a|b|same`"
        )
        return
    out.print(
        table(
            f"{shot}: versions by preference (Bradley-Terry, log-odds; 0 = average)",
            ["#", "version", "strength", "95% interval", "comparisons"],
            [
                [i, s.key, f"{s.strength:+.2f}", f"{s.lo:+.2f} to {s.hi:+.2f}", s.comparisons]
                for i, s in enumerate(strengths, start=1)
            ],
        )
    )
