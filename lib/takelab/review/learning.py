"""The learning loop: what to try after a rejection or a quality flag, and which prompt
choices raise the acceptance rate, from the verdicts recorded in MLflow."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# Grounded in how video models fail: each reason or flag maps to the change that most
# often fixes it in the next variant.
SUGGESTIONS: dict[str, str] = {
    # rejection reasons
    "blurry": "specify the camera movement (e.g. 'slow dolly in') and a focus cue "
    "('sharp focus on the subject'); vague motion makes models smear detail",
    "warped": "keep one primary and at most one secondary subject, and simplify the action",
    "flicker": "describe light that changes slowly and steadily ('light gradually dims'); "
    "avoid strobing or flashing sources",
    "melting-face": "frame the face larger (medium close-up), keep its motion slow, and avoid "
    "fast head turns",
    "occlusion-error": "keep the subject in frame: no passing behind objects that must reappear",
    "garbled-text": "drop legible text from the prompt and add it as an overlay in the cut",
    "static": "give the subject an action over time and add a camera move",
    "wrong-motion": "state one motion with its direction and speed ('walks slowly toward "
    "camera'), and one camera move",
    "off-prompt": "lead with the subject and action, drop secondary details, and try a "
    "structured variant",
    "artifact": "lower the motion, shorten the duration, or try another seed or backend",
    "bias": "describe the people explicitly (age, appearance, role) instead of leaving it to "
    "the model's defaults",
    "other": "read the note, then change one thing at a time in a new variant",
    # automatic quality flags
    "has-cut": "remove scene changes from the prompt: one continuous shot per clip",
    "flickering": "describe light that changes slowly and steadily; avoid strobing sources",
    "frozen": "ask for motion that lasts the whole clip, or shorten the duration",
    "black": "describe a lit scene ('soft light', 'golden hour'); avoid fades to black",
    "nonconforming": "ask for a duration, aspect and resolution the backend supports",
    "corrupt": "the file was damaged after generation: fetch or generate the take again",
}


def suggestion(reason_or_flag: str) -> str | None:
    """The fix to try next for a rejection reason or a quality flag (None if unknown)."""
    return SUGGESTIONS.get(reason_or_flag)


def suggestions(tags: Iterable[str]) -> list[tuple[str, str]]:
    """(tag, fix) for every known tag, each once, in the order given."""
    seen: dict[str, str] = {}
    for tag in tags:
        fix = SUGGESTIONS.get(tag)
        if fix and tag not in seen:
            seen[tag] = fix
    return list(seen.items())


@dataclass(frozen=True)
class Rate:
    accepted: int
    reviewed: int

    @property
    def rate(self) -> float | None:
        return self.accepted / self.reviewed if self.reviewed else None

    def wilson(self, z: float = 1.96) -> tuple[float | None, float | None]:
        """The Wilson score interval (95% by default): sound for small counts."""
        n = self.reviewed
        if n == 0:
            return None, None
        p = self.accepted / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)


STRUCTURED = ("subject", "secondary", "action", "camera", "lighting", "style")


def effects(frame: pd.DataFrame, *, fields: pd.DataFrame | None = None) -> pd.DataFrame:
    """Acceptance rate with and without each lint rule firing (and each structured field
    filled, when `fields` gives one boolean column per field indexed like `frame`), with
    counts and 95% intervals; reviewed takes only. `frame` is `takes_frame(...)`."""
    import pandas as pd

    reviewed = frame[frame["verdict"].isin(["accept", "reject"])].copy()
    accepted = reviewed["verdict"] == "accept"
    features: dict[str, pd.Series] = {}
    lint = reviewed["lint"].fillna("").astype(str)
    rules = sorted({r for cell in lint for r in cell.split(",") if r})
    for rule in rules:
        features[f"lint:{rule}"] = lint.apply(lambda cell, r=rule: r in cell.split(","))
    if fields is not None:
        for name in fields.columns:
            features[f"field:{name}"] = fields.loc[reviewed.index, name].astype(bool)
    rows = []
    for feature, mask in features.items():
        with_ = Rate(int((accepted & mask).sum()), int(mask.sum()))
        without = Rate(int((accepted & ~mask).sum()), int((~mask).sum()))
        lo, hi = with_.wilson()
        lo0, hi0 = without.wilson()
        rows.append(
            {
                "feature": feature,
                "with_n": with_.reviewed,
                "with_rate": with_.rate,
                "with_low": lo,
                "with_high": hi,
                "without_n": without.reviewed,
                "without_rate": without.rate,
                "without_low": lo0,
                "without_high": hi0,
                "difference": None
                if with_.rate is None or without.rate is None
                else with_.rate - without.rate,
            }
        )
    columns = [
        "feature", "with_n", "with_rate", "with_low", "with_high",
        "without_n", "without_rate", "without_low", "without_high", "difference",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def structured_fields(frame: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per structured field: was it filled for the take's variant?
    Read from the journal's copy of each take's request (takes it lacks count as unfilled)."""
    import pandas as pd

    from takelab.home import Home
    from takelab.journal.store import Journal

    home = Home.from_env()
    filled: dict[str, dict[str, bool]] = {}
    if home.has_journal:
        for record in Journal(home.journal_url).takes():
            filled[record.take_id] = {f: f in record.request.fields for f in STRUCTURED}
    data = [filled.get(t, dict.fromkeys(STRUCTURED, False)) for t in frame["take_id"]]
    return pd.DataFrame(data, index=frame.index, columns=list(STRUCTURED))


def learning_effects(project: str | None = None) -> pd.DataFrame:
    """Effects of lint rules and structured fields on acceptance, for one project or all."""
    from takelab.tracking.tracker import takes_frame

    frame = takes_frame(project)
    if frame.empty:
        return effects(frame)
    return effects(frame, fields=structured_fields(frame))
