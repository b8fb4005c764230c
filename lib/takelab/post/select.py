"""Which take plays for each entry of the cut: the one named, or the best accepted one.

"Best" is the take whose latest verdict is `accept`; among several, the one with the
better quality metrics (conforming, no hard cut, fewer black or held frames, sharper,
steadier), then the newest. A shot with nothing accepted stops the cut with an error that
names the shot and says how to accept a take.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from takelab.errors import CutError as CutError  # defined with every error
from takelab.errors import PromptFileError, TakelabError, TakeNotFoundError
from takelab.journal.store import Journal, TakeRecord, TakeState, VerdictRecord
from takelab.project.cut_model import BEST, Cut, CutShot
from takelab.project.model import Project

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SelectedTake:
    """The take chosen for one entry of the cut, and why."""

    index: int
    entry: CutShot
    take: TakeRecord
    path: Path
    reason: str  # "named in the cut", "best of 3 accepted"...

    @property
    def take_id(self) -> str:
        return self.take.take_id


def quality_rank(record: TakeRecord) -> tuple[float, ...]:
    """Sort key, larger is better: conforming, no cuts, little black or held footage,
    sharp, steady, then newest. Missing metrics count as neutral."""
    m = record.metrics
    return (
        m.get("conforms", 1.0),
        -m.get("cuts", 0.0),
        -round(m.get("black_ratio", 0.0), 2),
        -round(m.get("frozen_ratio", 0.0), 2),
        round(m.get("sharpness", 0.0), 2),
        -round(m.get("flicker", 0.0), 1),
        record.created_at,
    )


def accepted_takes(
    journal: Journal, project: str, shot: str, latest: Mapping[str, VerdictRecord] | None = None
) -> list[TakeRecord]:
    """The finished takes of a shot whose latest verdict is accept, best first."""
    latest = journal.latest_verdicts() if latest is None else latest
    done = journal.takes(project=project, states=[TakeState.DONE])
    chosen = [
        t
        for t in done
        if t.shot == shot and (v := latest.get(t.take_id)) is not None and v.verdict == "accept"
    ]
    return sorted(chosen, key=quality_rank, reverse=True)


def select_takes(
    project: Project, cut: Cut, journal: Journal, *, project_file: Path | None = None
) -> list[SelectedTake]:
    """Resolve every entry of `cut` to a take with a file; the first problem raises."""
    path = project_file or project.path
    latest = journal.latest_verdicts()
    done = journal.takes(project=project.project, states=[TakeState.DONE])
    out: list[SelectedTake] = []
    for index, entry in enumerate(cut.shots):
        if entry.best:
            out.append(_best(project.project, index, entry, done, latest, path))
        else:
            out.append(_named(project.project, index, entry, journal, latest, path, cut))
    return out


def _best(
    project: str,
    index: int,
    entry: CutShot,
    done: list[TakeRecord],
    latest: Mapping[str, VerdictRecord],
    path: Path,
) -> SelectedTake:
    mine = [t for t in done if t.shot == entry.shot]
    accepted = sorted(
        (t for t in mine if (v := latest.get(t.take_id)) and v.verdict == "accept"),
        key=quality_rank,
        reverse=True,
    )
    for take in accepted:
        file = _file(take)
        if file is not None:
            reason = (
                "the accepted take" if len(accepted) == 1 else f"best of {len(accepted)} accepted"
            )
            return SelectedTake(index, entry, take, file, reason)
    if accepted:
        raise CutError(
            f"shot {entry.shot!r}: the files of its accepted takes are missing",
            shot=entry.shot,
            hint="run `takelab doctor` to repair the store, or accept another take",
        )
    if not mine:
        raise CutError(
            f"shot {entry.shot!r} has no finished takes in project {project!r}",
            shot=entry.shot,
            hint=f"make some first: takelab sweep {path} --shot {entry.shot}",
        )
    unreviewed = [t for t in mine if t.take_id not in latest]
    rejected = len(mine) - len(unreviewed)
    example = (unreviewed or mine)[-1].take_id[:10]
    counts = f"{len(unreviewed)} unreviewed, {rejected} rejected"
    raise CutError(
        f"shot {entry.shot!r} has no accepted take ({len(mine)} finished: {counts})",
        shot=entry.shot,
        hint=f"review them in notebooks/03_dailies.ipynb, or accept one with "
        f"`takelab verdict {example} accept` (list them with "
        f"`takelab takes --project {project}`); or name a take in the cut with take: <id>",
    )


def _named(
    project: str,
    index: int,
    entry: CutShot,
    journal: Journal,
    latest: Mapping[str, VerdictRecord],
    path: Path,
    cut: Cut,
) -> SelectedTake:
    line = cut.line_of("shots", index, "take")

    def fail(message: str, hint: str) -> PromptFileError:
        return PromptFileError(path, f"cut: shot {entry.shot!r}: {message}", line=line, hint=hint)

    try:
        take = journal.find(entry.take)
    except TakeNotFoundError as exc:
        raise fail(exc.message, exc.hint or "list take ids with `takelab takes`") from None
    if take.project != project or take.shot != entry.shot:
        raise fail(
            f"take {entry.take!r} is a take of {take.project}/{take.shot}, not of this shot",
            f"pick one of shot {entry.shot!r}'s takes (takelab takes --project {project}), "
            f"or write take: {BEST}",
        )
    if take.state is not TakeState.DONE:
        raise fail(
            f"take {take.take_id} did not finish (it is {take.state})",
            f"pick a finished take, or write take: {BEST}",
        )
    file = _file(take)
    if file is None:
        raise fail(
            f"the file of take {take.take_id} is missing ({take.path})",
            "run `takelab doctor` to repair the store, or pick another take",
        )
    verdict = latest.get(take.take_id)
    if verdict is not None and verdict.verdict == "reject":
        log.warning("shot %s: take %s was rejected; using it as named", entry.shot, take.take_id)
    return SelectedTake(index, entry, take, file, "named in the cut")


def _file(take: TakeRecord) -> Path | None:
    """The take's video here; in team mode, fetched from MLflow if made elsewhere."""
    from takelab.home import Home
    from takelab.review.take_files import local_video

    try:
        return local_video(Home.from_env(), take)
    except TakelabError as exc:
        log.warning("%s", exc)
        return None


__all__ = ["CutError", "SelectedTake", "accepted_takes", "quality_rank", "select_takes"]
