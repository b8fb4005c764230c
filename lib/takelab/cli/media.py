"""`takelab qa` and `takelab cut`: quality metrics of any video file, and assembling the
kept takes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from takelab.cli.main import err, fail, main, out, table
from takelab.errors import TakelabError

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
            table(
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
