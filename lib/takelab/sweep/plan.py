"""Expanding a sweep's grid (shots x variants x backends x seeds) into take requests,
each rendered for its backend and linted before any money is spent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from takelab.backends import Backend, TakeRequest, get_backend
from takelab.backends.capability_check import TakeLookup, check_capabilities, resolve_extend
from takelab.errors import TakeNotFoundError, UsageError
from takelab.lint.rules import Finding, blocking, lint_variant
from takelab.media.probe import file_sha256
from takelab.project.model import Project, PromptStyle, Shot, Variant

DEFAULT_DURATION_S = 5.0
DEFAULT_ASPECT = "16:9"
DEFAULT_RESOLUTION = "720p"


@dataclass
class PlannedTake:
    """One cell of the grid: the request, the backend that runs it and what lint found."""

    request: TakeRequest
    backend: Backend
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # settings the backend cannot do

    @property
    def blocked_by_lint(self) -> list[Finding]:
        return blocking(self.findings)

    @property
    def runnable(self) -> bool:
        return not self.blocked_by_lint and not self.problems

    @property
    def lint_ids(self) -> list[str]:
        return sorted({f.rule for f in self.findings})


def normalize_seeds(seeds: int | Sequence[int]) -> list[int]:
    """`--seeds N` means seeds 1..N; a list is taken as given (duplicates dropped)."""
    if isinstance(seeds, bool):
        raise UsageError("seeds must be a number or a list of numbers")
    if isinstance(seeds, int):
        if seeds < 1:
            raise UsageError(f"seeds must be at least 1, got {seeds}")
        return list(range(1, seeds + 1))
    out: list[int] = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise UsageError(f"a seed must be a whole number >= 0, got {s!r}")
        if s not in out:
            out.append(s)
    if not out:
        raise UsageError("no seeds given", hint="give --seeds N or a list of seeds")
    return out


def select(
    project: Project, shots: Sequence[str] = (), variants: Sequence[str] = ()
) -> list[tuple[Shot, Variant]]:
    """The (shot, variant) pairs picked by shot ids and `shot/variant` names (all if none)."""
    known = {s.id for s in project.shots}
    for sid in shots:
        if sid not in known:
            raise UsageError(
                f"no shot {sid!r} in {project.path.name}",
                hint=f"shots are: {', '.join(sorted(known))}",
            )
    wanted: set[tuple[str, str]] = set()
    for name in variants:
        sid, sep, vid = name.partition("/")
        if not sep:
            raise UsageError(f"variant {name!r} must be written SHOT/VARIANT")
        try:
            project.shot(sid).variant(vid)
        except KeyError:
            raise UsageError(
                f"no variant {name!r} in {project.path.name}",
                hint="list them with `takelab lint FILE`",
            ) from None
        wanted.add((sid, vid))
    out = []
    for shot in project.shots:
        if shots and shot.id not in shots and not any(s == shot.id for s, _ in wanted):
            continue
        for v in shot.variants:
            if wanted and (shot.id, v.id) not in wanted and shot.id not in shots:
                continue
            out.append((shot, v))
    return out


def build_request(
    project: Project,
    shot: Shot,
    variant: Variant,
    backend: Backend,
    seed: int,
    *,
    extend: tuple[str, Path] | None = None,
    extend_job: str | None = None,
) -> TakeRequest:
    """Render a variant for one backend with concrete settings and a seed; `extend` is the
    resolved parent take (id and file) when the variant continues one, `extend_job` its
    provider job as `backend:job_id` where known."""
    settings = variant.resolved(project.defaults)
    image = project.image_path(variant)
    end = project.end_image_path(variant)
    refs = project.reference_paths(variant)
    style: PromptStyle = backend.prompt_style  # type: ignore[assignment]
    return TakeRequest(
        project=project.project,
        shot=shot.id,
        variant=variant.id,
        prompt=variant.render(project.defaults, style),
        negative=settings.negative,
        backend=backend.name,
        model=backend.model,
        duration_s=float(settings.duration or DEFAULT_DURATION_S),
        aspect=settings.aspect or DEFAULT_ASPECT,
        resolution=settings.resolution or DEFAULT_RESOLUTION,
        seed=seed,
        image_sha256=file_sha256(image) if image else None,
        image_path=str(image) if image else None,
        audio=settings.audio,
        end_image_sha256=file_sha256(end) if end else None,
        end_image_path=str(end) if end else None,
        reference_sha256=tuple(file_sha256(path) for path, _ in refs),
        reference_roles=tuple(role or "" for _, role in refs),
        reference_paths=tuple(str(path) for path, _ in refs),
        extend=extend[0] if extend else None,
        extend_path=str(extend[1]) if extend else None,
        extend_job=extend_job,
        beats=tuple((b.at, b.action) for b in sorted(variant.beats, key=lambda b: b.at)),
        variant_hash=variant.hash(project.defaults, project.path.parent),
        fields={**variant.fields(), **({"style": settings.style} if settings.style else {})},
    )


def plan(
    project: Project,
    *,
    shots: Sequence[str] = (),
    variants: Sequence[str] = (),
    backends: Sequence[str] = ("previz",),
    seeds: int | Sequence[int] = 1,
    takes: TakeLookup | None = None,
) -> list[PlannedTake]:
    """Every take of the grid, in a stable order, linted for its backend.

    A variant asking a model for what it cannot do raises PromptFileError at its line
    (nothing is planned); `takes` finds the take an `extend:` names (default: the journal).
    """
    if not backends:
        raise UsageError("no backend given", hint="e.g. --backend previz")
    seed_list = normalize_seeds(seeds)
    instances = [get_backend(spec) for spec in dict.fromkeys(backends)]
    out: list[PlannedTake] = []
    for shot, variant in select(project, shots, variants):
        parent, parent_job = None, None
        if variant.extend:
            parent = resolve_extend(project, shot, variant, takes or journal_lookup)
            parent_job = journal_job(parent[0]) if parent and takes is None else None
        for backend in instances:
            caps = backend.capabilities()
            check_capabilities(project, shot, variant, backend, caps)
            findings = lint_variant(
                variant, shot=shot.id, defaults=project.defaults, capabilities=caps
            )
            for seed in seed_list:
                request = build_request(
                    project, shot, variant, backend, seed, extend=parent, extend_job=parent_job
                )
                problems = caps.problems(request)
                out.append(PlannedTake(request, backend, findings, problems))
    return out


def journal_lookup(prefix: str) -> tuple[str, Path | None] | None:
    """The take whose id starts with `prefix` in this machine's (or the team's) journal."""
    from takelab.home import Home
    from takelab.journal.store import Journal

    home = Home.from_env()
    if not home.has_journal:
        return None
    try:
        record = Journal(home.journal_url).find(prefix)
    except TakeNotFoundError:
        return None
    return record.take_id, Path(record.path) if record.path else None


def journal_job(take_id: str) -> str | None:
    """The provider job of a journal take as `backend:job_id` (Luma continues a clip by
    the id of the generation that made it), or None when it has none."""
    from takelab.home import Home
    from takelab.journal.store import Journal

    home = Home.from_env()
    if not home.has_journal:
        return None
    record = Journal(home.journal_url).get(take_id)
    if record is None or not record.job_id:
        return None
    return f"{record.backend}:{record.job_id}"


@dataclass
class Estimate:
    """Price of a grid on one backend, before anything is spent."""

    backend: str
    takes: int
    runnable: int
    blocked: int
    total_usd: float
    min_usd: float
    max_usd: float


def estimate(planned: Sequence[PlannedTake]) -> list[Estimate]:
    """Worst-case price per backend of the runnable takes (lint-blocked ones cost nothing)."""
    rows: dict[str, Estimate] = {}
    for p in planned:
        spec = p.backend.spec
        row = rows.setdefault(spec, Estimate(spec, 0, 0, 0, 0.0, float("inf"), 0.0))
        row.takes += 1
        if not p.runnable:
            row.blocked += 1
            continue
        price = p.backend.price(p.request)
        row.runnable += 1
        row.total_usd += price
        row.min_usd = min(row.min_usd, price)
        row.max_usd = max(row.max_usd, price)
    for row in rows.values():
        if row.runnable == 0:
            row.min_usd = 0.0
    return list(rows.values())
