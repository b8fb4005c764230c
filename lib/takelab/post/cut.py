"""Make a cut: kept takes to a finished, disclosed, signed MP4 plus editing timelines,
tracked as an MLflow run.

`make_cut` runs five phases: (1) select a take per entry and lay the cut out in frames,
(2) render the MP4 with moviepy, (3) sign it with content credentials (when a signer is
configured), (4) export the timelines, (5) log the run. The files land in
`TAKELAB_HOME/cuts/<project>-<UTC stamp>/` (or beside `out`).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from takelab.errors import UsageError
from takelab.home import Home, resolve_project_path
from takelab.journal.store import Journal
from takelab.post.layout import Layout, build_layout
from takelab.post.select import SelectedTake, select_takes
from takelab.project.cut_model import BEST, Cut, CutShot, Transition
from takelab.project.model import Project, load_project
from takelab.tracking.tracker import KIND_TAG, PARAM_LIMIT, Tracker, run_link

log = logging.getLogger(__name__)


@dataclass
class CutResult:
    """What `make_cut` wrote and logged."""

    project: str
    video: Path
    timelines: dict[str, Path]
    manifest: Path | None
    validation_state: str | None
    takes: list[SelectedTake]
    layout: Layout
    description: Path
    run_id: str | None = None
    experiment_id: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.video.parent

    @property
    def duration_s(self) -> float:
        return self.layout.duration_s

    @property
    def take_ids(self) -> list[str]:
        return [s.take_id for s in self.takes]

    @property
    def link(self) -> str | None:
        if self.experiment_id is None or self.run_id is None:
            return None
        return run_link(self.experiment_id, self.run_id)


def resolve_project_file(project: str | Path) -> Path:
    """A project file path, or a project id looked up as `prompts/<id>.yaml` (see
    `takelab.home.resolve_project_path`, the one place that resolves them)."""
    return resolve_project_path(project)


def with_order(cut: Cut, project: Project, shots: Sequence[tuple[str, str]]) -> Cut:
    """`cut` with its entries replaced by (shot, take) pairs, in that order. An entry the
    cut already had for a shot keeps its in/out points, transition and overlays."""
    known = {s.id for s in project.shots}
    unused = list(enumerate(cut.shots))
    entries: list[CutShot] = []
    for shot, take in shots:
        if shot not in known:
            raise UsageError(f"unknown shot {shot!r}", hint=f"shots: {', '.join(sorted(known))}")
        match = next((item for item in unused if item[1].shot == shot), None)
        if match is not None:
            unused.remove(match)
            entry = match[1].model_copy(update={"take": take or BEST})
        else:
            entry = CutShot(shot=shot, take=take or BEST)
        entries.append(entry)
    if not entries:
        raise UsageError("the cut has no shots", hint="pick at least one shot")
    if entries[0].transition.crossfade and cut.title is None:
        entries[0] = entries[0].model_copy(update={"transition": Transition()})
    new = cut.model_copy(update={"shots": entries})
    new.set_lines({})  # lines no longer match entries
    return new


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _destination(home: Home, project: str, out: Path | None) -> tuple[Path, str]:
    """The folder and file stem for this cut's files."""
    if out is not None:
        out = out.expanduser().resolve()
        if out.suffix.lower() != ".mp4":
            raise UsageError(f"--out must name an .mp4 file, got {out.name!r}")
        out.parent.mkdir(parents=True, exist_ok=True)
        return out.parent, out.stem
    base = home.cuts / f"{project}-{_stamp()}"
    folder, n = base, 2
    while folder.exists():  # two cuts in one second
        folder, n = base.with_name(f"{base.name}-{n}"), n + 1
    folder.mkdir(parents=True)
    return folder, "cut"


def describe_edits(cut: Cut, layout: Layout) -> str:
    """What was done to the takes, in words (for the content credentials)."""
    shots = layout.shots
    fades = sum(1 for s in layout.segments if s.fade_in)
    parts = [f"assembled from {len(shots)} takes, trimmed"]
    if fades:
        parts.append(f"{fades} crossfades")
    overlays = sum(len(s.overlays) for s in shots)
    if overlays:
        parts.append(f"{overlays} text overlays")
    parts += [f"{kind} card" for kind in ("title", "end") if getattr(cut, kind) is not None]
    if cut.audio is not None:
        parts.append("audio bed")
    if cut.grade is not None and not cut.grade.identity:
        parts.append("colour grade")
    parts.append(
        "disclosure label burnt in" if cut.disclosure.burn_in else "disclosure in metadata"
    )
    return ", ".join(parts)


def make_cut(
    project_file: str | Path,
    out: str | Path | None = None,
    *,
    shots: Sequence[tuple[str, str]] | None = None,
    home: Home | None = None,
    progress: bool = True,
    sign: bool = True,
) -> CutResult:
    """Assemble the project's cut (its `cut:` section, or every shot's best accepted take)
    into an MP4 with timelines and content credentials, and log it to MLflow.

    `shots` overrides the order and takes as (shot id, take id or "best") pairs.
    """
    from takelab.post.credentials import describe_store, sign_cut, signing_config
    from takelab.post.render import render, write_card
    from takelab.post.timeline import build_timeline, export_timelines

    home = (home or Home.from_env()).ensure()
    project = load_project(resolve_project_file(project_file))
    base = project.path.parent
    cut = project.cut or Cut.default([s.id for s in project.shots])
    if shots is not None:
        cut = with_order(cut, project, shots)

    log.info("1/5 selecting takes for %s", project.project)
    selected = select_takes(project, cut, Journal(home.journal_url))
    layout = build_layout(cut, selected, project.path)
    config = signing_config(cut.credentials, base) if sign else None
    folder, stem = _destination(home, project.project, Path(out) if out else None)
    work = folder / f".{stem}.work"
    video = folder / f"{stem}.mp4"
    warnings = list(layout.warnings)  # logged where they arose; `warn` logs the rest

    def warn(message: str) -> None:
        warnings.append(message)
        log.warning(message)

    ours = ("title.mp4", "end.mp4", "manifest.json", "otio", "xml", "edl", "fcpxml")
    written = [video, *(folder / f"{stem}.{x}" for x in ours)]
    try:
        log.info("2/5 rendering %d frames", layout.frames)
        cards: dict[str, Path] = {
            s.kind: write_card(s.card, layout, s.frames, folder / f"{stem}.{s.kind}.mp4", base)
            for s in layout.segments
            if s.card is not None
        }
        unsigned = render(
            layout,
            cut,
            work / "unsigned.mp4",
            base=base,
            work_dir=work,
            title=project.project,
            progress=progress,
        )
        manifest: Path | None = None
        state: str | None = None
        if config is not None:
            log.info("3/5 signing content credentials")
            pairs = [(s.take, s.path) for s in selected]
            store = sign_cut(
                unsigned, video, pairs, config, work_dir=work, edits=describe_edits(cut, layout)
            )
            state = store.get("validation_state")
            manifest = folder / f"{stem}.manifest.json"
            manifest.write_text(json.dumps(store, indent=2))
            if state == "Valid":
                warn(
                    "the content credentials are valid, but their signer's CA is not a trust "
                    "anchor here, so readers call them untrusted (set TAKELAB_C2PA_TRUST)"
                )
            elif state != "Trusted":
                warn(f"the content credentials read back as {state}: {describe_store(store)}")
        else:
            shutil.move(unsigned, video)
            warn(
                "the cut is not signed: set TAKELAB_C2PA_CERT and TAKELAB_C2PA_KEY "
                "(`make dev-cert` makes a development pair)"
            )
        log.info("4/5 exporting timelines")
        audio_s = _audio_seconds(cut, base)
        timeline = build_timeline(
            layout, cut, name=f"{project.project} cut", base=base, cards=cards, audio_s=audio_s
        )
        timelines = export_timelines(timeline, folder / stem)
    except BaseException:
        # leave no half-made cut behind: a fresh folder goes, beside --out only our files
        if out is None:
            shutil.rmtree(folder, ignore_errors=True)
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    description = folder / f"{stem}.json"
    result = CutResult(
        project=project.project,
        video=video,
        timelines=timelines,
        manifest=manifest,
        validation_state=state,
        takes=selected,
        layout=layout,
        description=description,
        warnings=warnings,
    )
    description.write_text(json.dumps(_describe(result, cut, project), indent=2))
    log.info("5/5 logging the cut to MLflow")
    _track(result, cut, project, home)
    return result


def _audio_seconds(cut: Cut, base: Path) -> float | None:
    if cut.audio is None:
        return None
    import av

    from takelab.project.cut_model import resolve

    path = resolve(base, cut.audio.file)
    with av.open(str(path)) as container:
        return (container.duration or 0) / 1_000_000 or None


def _describe(result: CutResult, cut: Cut, project: Project) -> dict[str, Any]:
    layout = result.layout
    return {
        "project": project.project,
        "project_file": str(project.path),
        "video": result.video.name,
        "fps": layout.fps,
        "size": [layout.width, layout.height],
        "frames": layout.frames,
        "duration_s": layout.duration_s,
        "disclosure": cut.disclosure.model_dump(),
        "content_credentials": result.validation_state or "unsigned",
        "timelines": {k: p.name for k, p in result.timelines.items()},
        "segments": [
            {
                "kind": s.kind,
                "name": s.name,
                "start": s.start,
                "frames": s.frames,
                "crossfade_in": s.fade_in,
                "source_in": s.source_in,
                "take": s.take.take_id if s.take else None,
                "parent_take": s.take.take.request.extend if s.take else None,
                "why": s.take.reason if s.take else None,
                "file": str(s.media) if s.media else None,
                "overlays": [
                    {"text": o.overlay.text, "start": o.start, "end": o.end} for o in s.overlays
                ],
            }
            for s in layout.segments
        ],
    }


def _track(result: CutResult, cut: Cut, project: Project, home: Home) -> None:
    """One MLflow run (`takelab.kind=cut`) listing the takes, with the files as artifacts.
    MLflow being down costs the run, never the cut."""
    from mlflow.entities import Metric, Param, RunTag

    ids = result.take_ids
    try:
        tracker = Tracker(home)
        exp_id = tracker.experiment_id(project.project)
        client = tracker.client
        run = client.create_run(
            exp_id,
            run_name=f"cut-{result.folder.name}",
            tags={KIND_TAG: "cut", "takelab.takes": ",".join(ids)[:PARAM_LIMIT]},
        )
        run_id = str(run.info.run_id)
        params = {
            "project_file": str(project.path),
            "takes": ",".join(ids),
            "shots": ",".join(s.entry.shot for s in result.takes),
            "disclosure": cut.disclosure.text,
            "burn_in": str(cut.disclosure.burn_in).lower(),
            **{f"take.{s.index + 1:02d}.{s.entry.shot}": s.take_id for s in result.takes},
        }
        layout = result.layout
        metrics = {
            "duration_s": layout.duration_s,
            "frames": float(layout.frames),
            "shots": float(len(result.takes)),
            "fps": layout.fps,
        }
        now = int(datetime.now(UTC).timestamp() * 1000)
        client.log_batch(
            run_id,
            params=[Param(k, v[:PARAM_LIMIT]) for k, v in params.items()],
            metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
            tags=[
                RunTag("takelab.c2pa", result.validation_state or "unsigned"),
                RunTag("takelab.disclosure", cut.disclosure.text[:PARAM_LIMIT]),
            ],
        )
        files = [result.video, *result.timelines.values(), result.description]
        if result.manifest is not None:
            files.append(result.manifest)
        for path in files:
            client.log_artifact(run_id, str(path))
        client.set_terminated(run_id, "FINISHED")
        result.run_id, result.experiment_id = run_id, exp_id
    except Exception as exc:
        message = f"the cut was made but not logged to MLflow: {exc}"
        result.warnings.append(message)
        log.warning(message)


__all__ = ["CutResult", "describe_edits", "make_cut", "resolve_project_file", "with_order"]
