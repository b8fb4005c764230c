"""Versions of a variant: every distinct thing a variant has asked for over time.

A version is the variant's hash (`Variant.hash`): its rendered prompt and every setting
that changes the output. Editing a variant in place keeps its id and gives it a new
version, so old wordings survive only in the journal's takes; `versions` joins them with
the current file, and `diff_versions` shows what changed between two of them, word by word.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from takelab.backends import TakeRequest
from takelab.errors import PromptFileError, UsageError
from takelab.gitinfo import git_state
from takelab.home import Home, resolve_project_path
from takelab.journal.store import Journal, TakeRecord, TakeState

SHORT = 8  # hex characters of a version shown to people
SETTING_KEYS = ("duration_s", "aspect", "resolution", "negative", "image")


@dataclass(frozen=True)
class VersionRow:
    """One version of one variant, with what its takes did."""

    project: str
    shot: str
    variant: str
    version: str  # the full variant hash; `short` for display
    first_seen: str  # ISO time of its first take; "" for a version only in the file
    commit: str | None  # git commit its first take recorded (HEAD for a file-only version)
    dirty: bool  # the project file had edits not in `commit`
    takes: int  # takes that produced a clip
    accepted: int
    rejected: int
    cost_usd: float  # everything spent on it, failed takes included
    text: str  # the rendered prompt
    settings: dict[str, str] = field(default_factory=dict)
    current: bool = False  # what the project file holds now
    revision: int = 0  # 1 for the variant's first version, in order of first sight

    @property
    def short(self) -> str:
        return self.version[:SHORT]

    @property
    def label(self) -> str:
        """`v2@3f2a9c1b`"""
        return f"{self.variant}@{self.short}"

    @property
    def ref(self) -> str:
        """`street-walk/v2@3f2a9c1b`, as `takelab diff` takes it."""
        return f"{self.shot}/{self.label}"

    def public(self) -> dict[str, Any]:
        """The row as JSON for `takelab versions --format json`."""
        data = asdict(self)
        data["version"] = self.version
        data["short"] = self.short
        return data


def settings_of(request: TakeRequest) -> dict[str, str]:
    """The output-changing settings of a take besides its prompt, as text."""
    return {
        "duration_s": f"{request.duration_s:g}",
        "aspect": request.aspect,
        "resolution": request.resolution,
        "negative": request.negative or "",
        "image": (request.image_sha256 or "")[:12],
    }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _current_requests(path: Path) -> tuple[str, list[TakeRequest], bool, str | None]:
    """The project id, one request per variant as the file stands (previz, seed 1: the
    version does not depend on either), and the file's git state."""
    from takelab.backends import get_backend
    from takelab.project.model import load_project
    from takelab.sweep.plan import build_request

    project = load_project(path)
    previz = get_backend("previz")
    requests = [
        build_request(project, shot, variant, previz, 1)
        for shot in project.shots
        for variant in shot.variants
    ]
    git = git_state(project.path)
    return project.project, requests, git.dirty, git.commit


def _project_source(project: str | Path) -> tuple[str, Path | None]:
    """(project id, project file or None): an id whose file is gone still has history."""
    try:
        path = resolve_project_path(project)
    except PromptFileError:
        return str(project), None
    if not path.is_file():
        from takelab.project.model import load_project

        load_project(path)  # raises the missing-file error, with a did-you-mean
    return "", path


def project_id(project: str | Path) -> str:
    """The project id of a project file or id (an id whose file is gone stays as given)."""
    ident, path = _project_source(project)
    if path is None:
        return ident
    from takelab.project.model import load_project

    return load_project(path).project


def versions(
    project: str | Path,
    *,
    shot: str | None = None,
    variant: str | None = None,
    home: Home | None = None,
) -> list[VersionRow]:
    """Every version of every variant of `project` (a project file or id), in the file's
    order of shots and variants, each variant's versions in order of first sight; the
    version the file holds now is marked `current` (and listed even before any take)."""
    home = home or Home.from_env()
    project_id, path = _project_source(project)
    current: list[TakeRequest] = []
    dirty, head = False, None
    if path is not None:
        project_id, current, dirty, head = _current_requests(path)
    records = []
    latest = {}
    if home.has_journal:
        journal = Journal(home.journal_url)
        records = journal.takes(project=project_id)
        latest = journal.latest_verdicts()
    order: dict[tuple[str, str], int] = {}
    for req in current:
        order.setdefault((req.shot, req.variant), len(order))
    for rec in records:
        order.setdefault((rec.shot, rec.variant), len(order))
    rows = _rows(project_id, records, latest, current, dirty, head)
    rows = [
        r
        for r in rows
        if (shot is None or r.shot == shot) and (variant is None or r.variant == variant)
    ]
    if not rows and path is None and not records:
        raise UsageError(
            f"no project file and no takes for {project_id!r}",
            hint="give the project file's path, e.g. prompts/tokyo-rain.yaml",
        )
    return sorted(rows, key=lambda r: (order[(r.shot, r.variant)], r.revision))


def _rows(
    project_id: str,
    records: Iterable[TakeRecord],
    latest: dict[str, Any],
    current: list[TakeRequest],
    dirty: bool,
    head: str | None,
) -> list[VersionRow]:
    groups: dict[tuple[str, str, str], list[TakeRecord]] = {}
    for rec in records:  # oldest first
        groups.setdefault((rec.shot, rec.variant, rec.version), []).append(rec)
    now = {(r.shot, r.variant): r for r in current}
    out: list[VersionRow] = []
    seen_per_variant: dict[tuple[str, str], int] = {}
    for (shot_id, variant_id, version), takes in groups.items():
        first = takes[0]
        verdicts = [latest[t.take_id].verdict for t in takes if t.take_id in latest]
        n = seen_per_variant[(shot_id, variant_id)] = (
            seen_per_variant.get((shot_id, variant_id), 0) + 1
        )
        cur = now.get((shot_id, variant_id))
        out.append(
            VersionRow(
                project=project_id,
                shot=shot_id,
                variant=variant_id,
                version=version,
                first_seen=_iso(first.created_at),
                commit=first.git_commit,
                dirty=bool(first.git_dirty),
                takes=sum(1 for t in takes if t.state is TakeState.DONE),
                accepted=verdicts.count("accept"),
                rejected=verdicts.count("reject"),
                cost_usd=round(sum(float(t.cost_usd or 0.0) for t in takes), 6),
                text=first.request.prompt,
                settings=settings_of(first.request),
                current=cur is not None and cur.variant_hash == version,
                revision=n,
            )
        )
    for (shot_id, variant_id), req in now.items():
        if (shot_id, variant_id, req.variant_hash) in groups:
            continue
        n = seen_per_variant.get((shot_id, variant_id), 0) + 1
        out.append(
            VersionRow(
                project=project_id,
                shot=shot_id,
                variant=variant_id,
                version=req.variant_hash,
                first_seen="",
                commit=head,
                dirty=dirty,
                takes=0,
                accepted=0,
                rejected=0,
                cost_usd=0.0,
                text=req.prompt,
                settings=settings_of(req),
                current=True,
                revision=n,
            )
        )
    return out


# -- diff ----------------------------------------------------------------------------------

_REF = re.compile(r"^(?P<shot>[^/@\s]+)/(?P<variant>[^/@\s]+)(?:@(?P<version>[0-9a-fA-F]+))?$")


def find_version(rows: list[VersionRow], ref: str) -> VersionRow:
    """The version a `SHOT/VARIANT[@VERSION]` reference names: a unique prefix of the hash,
    or, without one, the version the file holds now (else the newest seen)."""
    m = _REF.match(ref.strip())
    if m is None:
        raise UsageError(
            f"cannot read version reference {ref!r}",
            hint="write SHOT/VARIANT or SHOT/VARIANT@VERSION, e.g. street-walk/v2@3f2a9c1b",
        )
    shot_id, variant_id, prefix = m["shot"], m["variant"], (m["version"] or "").lower()
    mine = [r for r in rows if r.shot == shot_id and r.variant == variant_id]
    if not mine:
        known = sorted({f"{r.shot}/{r.variant}" for r in rows})
        close = difflib.get_close_matches(f"{shot_id}/{variant_id}", known, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise UsageError(
            f"no variant {shot_id}/{variant_id} in the file or the journal",
            hint=f"{hint}list them with `takelab versions PROJECT`",
        )
    if not prefix:
        now = [r for r in mine if r.current]
        return now[0] if now else mine[-1]
    hits = [r for r in mine if r.version.startswith(prefix)]
    if len(hits) != 1:
        listed = ", ".join(r.short for r in mine)
        what = "no" if not hits else f"{len(hits)}"
        raise UsageError(
            f"{what} versions of {shot_id}/{variant_id} start with {prefix!r}",
            hint=f"its versions are {listed}",
        )
    return hits[0]


def word_diff(a: str, b: str) -> list[tuple[str, str]]:
    """Word-level diff of two texts: ("equal" | "delete" | "insert", words) runs, in order;
    a changed stretch is its deletion then its insertion."""
    wa, wb = a.split(), b.split()
    out: list[tuple[str, str]] = []

    def add(op: str, words: list[str]) -> None:
        if not words:
            return
        if out and out[-1][0] == op:
            out[-1] = (op, f"{out[-1][1]} {' '.join(words)}")
        else:
            out.append((op, " ".join(words)))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", wa[i1:i2])
        else:
            add("delete", wa[i1:i2])
            add("insert", wb[j1:j2])
    return out


@dataclass(frozen=True)
class VersionDiff:
    """What differs between two versions: the prompt word by word, and the settings."""

    a: VersionRow
    b: VersionRow
    prompt: list[tuple[str, str]]
    settings: list[tuple[str, str, str]]  # (key, value in a, value in b), only those that differ

    @property
    def same(self) -> bool:
        return self.a.version == self.b.version

    def text(self) -> str:
        """The diff as `git diff --word-diff` writes it: [-removed-] {+added+}."""
        lines = [f"--- {self.a.ref}", f"+++ {self.b.ref}"]
        if self.same:
            lines.append("the same version: nothing differs")
            return "\n".join(lines)
        parts = []
        for op, words in self.prompt:
            parts.append(
                words if op == "equal" else f"[-{words}-]" if op == "delete" else f"{{+{words}+}}"
            )
        lines.append("prompt: " + " ".join(parts))
        for key, va, vb in self.settings:
            lines.append(f"{key}: [-{va or '(none)'}-] {{+{vb or '(none)'}+}}")
        if not self.settings:
            lines.append("settings: the same")
        return "\n".join(lines)

    def public(self) -> dict[str, Any]:
        return {
            "a": self.a.public(),
            "b": self.b.public(),
            "prompt": [{"op": op, "text": words} for op, words in self.prompt],
            "settings": [{"key": k, "a": va, "b": vb} for k, va, vb in self.settings],
        }


def diff_rows(a: VersionRow, b: VersionRow) -> VersionDiff:
    keys = [k for k in SETTING_KEYS if k in a.settings or k in b.settings]
    changed = [
        (k, a.settings.get(k, ""), b.settings.get(k, ""))
        for k in keys
        if a.settings.get(k, "") != b.settings.get(k, "")
    ]
    return VersionDiff(a, b, word_diff(a.text, b.text), changed)


def diff_versions(
    project: str | Path, ref_a: str, ref_b: str, *, home: Home | None = None
) -> VersionDiff:
    """Word-level diff of the prompts and settings of two versions named
    `SHOT/VARIANT[@VERSION]` (two versions of one variant, or of two variants)."""
    rows = versions(project, home=home)
    return diff_rows(find_version(rows, ref_a), find_version(rows, ref_b))
