"""Check the `cut:` section of a project file, node by node, with file:line errors.

Called by `_project_loader` once the shots are known. Everything that can be checked
without the takes is checked here: known shot ids, in before out, crossfades that fit the
clips' requested lengths, colours, fonts, and that the audio, LUT and certificate files
exist. What only the takes can tell (a take shorter than `out:`) is checked when the cut
is laid out, against the lines recorded here.
"""

from __future__ import annotations

import difflib
import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from takelab.project._cut_fields import FieldChecks
from takelab.project.cut_model import (
    BEST,
    DEFAULT_CROSSFADE_S,
    POSITIONS,
    TRANSITIONS,
    Card,
    Cut,
    CutShot,
    Overlay,
    Transition,
)
from takelab.project.load import (
    _first_error,
    _is_number,
    _item_pos,
    _key_pos,
    _kind,
    _number_text,
    _Pos,
    _short,
    _value_pos,
)

if TYPE_CHECKING:
    from takelab.project.load import _Checker
    from takelab.project.model import Shot, VariantSettings

CUT_KEYS = (
    "shots",
    "title",
    "end",
    "audio",
    "loudness",
    "grade",
    "disclosure",
    "credentials",
)
ENTRY_KEYS = ("shot", "take", "in", "out", "transition", "overlays")
OVERLAY_KEYS = ("text", "position", "start", "end", "style")
TRANSITION_KEYS = ("type", "duration")
HEX = frozenset("0123456789abcdef")
_EXAMPLE = "see the `cut:` example in README.md"


def check_cut(
    ck: _Checker, doc: CommentedMap, shots: list[Shot], defaults: VariantSettings
) -> Cut | None:
    """The project's Cut, or None when the file has no `cut:` section."""
    if doc.get("cut") is None:
        return None
    return _CutChecker(ck, shots, defaults).cut(doc)


class _CutChecker(FieldChecks):
    """Walks the section: its entries (order, takes, in/out, transitions, overlays) here,
    its other fields through FieldChecks; raises at the first problem."""

    def __init__(self, ck: _Checker, shots: list[Shot], defaults: VariantSettings) -> None:
        self.ck = ck
        self.shot_ids = [s.id for s in shots]
        self.lengths = {s.id: _requested_length(s, defaults) for s in shots}
        self.lines: dict[tuple[str, ...], int] = {}

    # -- the section -------------------------------------------------------------------

    def cut(self, doc: CommentedMap) -> Cut:
        node = doc["cut"]
        if not isinstance(node, CommentedMap):
            self.fail(
                f"the cut section must be a mapping (shots:, title:, ...), got {_kind(node)}",
                _value_pos(doc, "cut"),
                "indent its fields under `cut:`, e.g. `cut:` then `  shots: [intro, street]`",
            )
        self.ck.keys(node, CUT_KEYS, "in cut", "cut")
        for key in node:
            self.lines[(str(key),)] = _key_pos(node, key).line
        title = self.card(node, "title")
        fields: dict[str, Any] = {
            "shots": self.entries(node, has_title=title is not None),
            "title": title,
            "end": self.card(node, "end"),
            "audio": self.audio(node),
            "grade": self.grade(node),
            "credentials": self.credentials(node),
        }
        if "loudness" in node:
            fields["loudness"] = self.loudness(node)
        disclosure = self.disclosure(node)
        if disclosure is not None:
            fields["disclosure"] = disclosure
        self.check_crossfades(node, fields)
        try:
            cut = Cut(**fields)
        except ValidationError as exc:
            self.fail(f"invalid cut: {_first_error(exc)}", _value_pos(doc, "cut"), _EXAMPLE)
        cut.set_lines(self.lines)
        return cut

    # -- shots -------------------------------------------------------------------------

    def entries(self, node: CommentedMap, *, has_title: bool) -> list[CutShot]:
        if "shots" not in node:
            return [CutShot(shot=s) for s in self.shot_ids]
        seq = node["shots"]
        pos = _value_pos(node, "shots")
        if seq is None or (isinstance(seq, CommentedSeq) and not seq):
            self.fail(
                "shots is empty",
                pos,
                "list the shots in the order they play, e.g. shots: [intro, street], "
                "or remove `shots:` to use every shot in file order",
            )
        if not isinstance(seq, CommentedSeq):
            self.fail(
                f"shots must be a list, got {_kind(seq)}",
                pos,
                "start each entry with `- shot: <id>` (or just `- <id>`) under `shots:`",
            )
        entries = [self.entry(seq, i, item) for i, item in enumerate(seq)]
        first = entries[0]
        if first.transition.crossfade and not has_title:
            self.fail(
                f"the first shot ({first.shot!r}) cannot cross-fade: nothing plays before it",
                self.pos("shots", 0, "transition"),
                "remove its transition:, or add a `title:` card to cross-fade from",
            )
        return entries

    def entry(self, seq: CommentedSeq, index: int, node: Any) -> CutShot:
        pos = _item_pos(seq, index)
        self.lines[("shots", str(index))] = pos.line
        if isinstance(node, str):
            return CutShot(shot=self.shot_id(node, pos))
        if not isinstance(node, CommentedMap):
            self.fail(
                f"shot entry #{index + 1} must be a shot id or a mapping with shot:, "
                f"got {_kind(node)}",
                pos,
                "write `- shot: <id>` with optional take:, in:, out:, transition:, overlays:",
            )
        self.ck.keys(node, ENTRY_KEYS, f"in cut shot entry #{index + 1}", "cut-shot")
        for key in node:
            self.lines[("shots", str(index), str(key))] = _key_pos(node, key).line
        if "shot" not in node:
            self.fail(
                f"shot entry #{index + 1} has no `shot:`",
                pos,
                f"add `shot: <id>`; shots in this file: {', '.join(self.shot_ids)}",
            )
        shot = node["shot"]
        if not isinstance(shot, str):
            self.fail(
                f"shot entry #{index + 1}: shot must be a shot id, got {_kind(shot)}",
                _value_pos(node, "shot"),
                f"shots in this file: {', '.join(self.shot_ids)}",
            )
        shot_id = self.shot_id(shot, _value_pos(node, "shot"))
        label = f"shot {shot_id!r}"
        in_s = self.seconds(node, "in", label)
        out_s = self.seconds(node, "out", label)
        if in_s is not None and out_s is not None and in_s >= out_s:
            self.fail(
                f"{label}: in ({_number_text(in_s)} s) must come before out "
                f"({_number_text(out_s)} s)",
                _value_pos(node, "in"),
                "in: and out: are seconds into the take; make in: smaller than out:",
            )
        length = self.length(shot_id, in_s, out_s)
        if length is not None and length <= 0:
            full = _number_text(self.lengths[shot_id] or 0)
            self.fail(
                f"{label}: in ({_number_text(in_s or 0)} s) is at or past the end of the "
                f"{full}-second take",
                _value_pos(node, "in"),
                f"write an in: point below {full}",
            )
        return CutShot(
            shot=shot_id,
            take=self.take(node, label),
            in_s=in_s,
            out_s=out_s,
            transition=self.transition(node, label, index),
            overlays=self.overlays(node, index, label, length),
        )

    def shot_id(self, value: str, pos: _Pos) -> str:
        shot_id = value.strip()
        if shot_id in self.shot_ids:
            return shot_id
        close = difflib.get_close_matches(shot_id, self.shot_ids, n=1, cutoff=0.6)
        did_you_mean = f"did you mean {close[0]!r}? " if close else ""
        self.fail(
            f"unknown shot {_short(shot_id)}",
            pos,
            f"{did_you_mean}shots in this file: {', '.join(self.shot_ids)}",
        )

    def take(self, node: CommentedMap, label: str) -> str:
        if node.get("take") is None:
            return BEST
        value = node["take"]
        pos = _value_pos(node, "take")
        if not isinstance(value, str):
            self.fail(
                f"{label}: take must be `best` or a take id, got {_kind(value)}",
                pos,
                f'put the take id in quotes, e.g. take: "{value}"',
            )
        take = value.strip().lower()
        if take == BEST:
            return BEST
        if len(take) < 6 or not set(take) <= HEX:
            self.fail(
                f"{label}: take {_short(value)} is neither `best` nor a take id",
                pos,
                "write take: best (the best accepted take), or at least the first 6 "
                "characters of a take id as `takelab takes` lists them",
            )
        return take

    def transition(self, node: CommentedMap, label: str, index: int) -> Transition:
        value = node.get("transition")
        if value is None:
            return Transition()
        pos = _value_pos(node, "transition")
        example = f"transition: {{type: crossfade, duration: {_number_text(DEFAULT_CROSSFADE_S)}}}"
        if isinstance(value, str):
            kind = self.transition_type(value, pos, label)
            return Transition(type=kind, duration=DEFAULT_CROSSFADE_S if kind != "cut" else 0)
        if not isinstance(value, CommentedMap):
            self.fail(
                f"{label}: transition must be cut, crossfade, or a mapping, got {_kind(value)}",
                pos,
                f"write transition: cut, or {example}",
            )
        self.ck.keys(value, TRANSITION_KEYS, f"in {label}'s transition", "transition")
        raw = value.get("type", "crossfade")
        if not isinstance(raw, str):
            self.fail(
                f"{label}: transition type must be cut or crossfade, got {_kind(raw)}",
                _value_pos(value, "type"),
                example,
            )
        kind = self.transition_type(raw, _value_pos(value, "type"), label)
        if kind == "cut":
            if value.get("duration") is not None:
                self.fail(
                    f"{label}: a cut has no duration",
                    _key_pos(value, "duration"),
                    "remove duration:, or make it a crossfade: " + example,
                )
            return Transition()
        duration = DEFAULT_CROSSFADE_S
        if value.get("duration") is not None:
            dpos = _value_pos(value, "duration")
            duration = self.ck.number(
                value["duration"], dpos, f"cut: {label}: duration", "a number of seconds", "0.5"
            )
            if not (math.isfinite(duration) and duration > 0):
                self.fail(
                    f"{label}: crossfade duration must be more than 0 seconds, got "
                    f"{value['duration']}",
                    dpos,
                    example,
                )
            self.lines[("shots", str(index), "transition", "duration")] = dpos.line
        return Transition(type="crossfade", duration=duration)

    def transition_type(self, value: str, pos: _Pos, label: str) -> Literal["cut", "crossfade"]:
        kind = value.strip().lower().replace("-", "").replace(" ", "")
        kind = {"dissolve": "crossfade", "fade": "crossfade"}.get(kind, kind)
        if kind == "cut":
            return "cut"
        if kind == "crossfade":
            return "crossfade"
        close = difflib.get_close_matches(kind, TRANSITIONS, n=1, cutoff=0.5)
        did_you_mean = f"did you mean {close[0]!r}? " if close else ""
        self.fail(
            f"{label}: unknown transition {_short(value)}",
            pos,
            f"{did_you_mean}use cut or crossfade (with duration: seconds)",
        )

    def overlays(
        self, node: CommentedMap, index: int, label: str, length: float | None
    ) -> list[Overlay]:
        seq = node.get("overlays")
        if seq is None:
            return []
        if not isinstance(seq, CommentedSeq):
            self.fail(
                f"{label}: overlays must be a list, got {_kind(seq)}",
                _value_pos(node, "overlays"),
                "start each overlay with `- text: ...` under `overlays:`",
            )
        out: list[Overlay] = []
        for j, item in enumerate(seq):
            pos = _item_pos(seq, j)
            self.lines[("shots", str(index), "overlays", str(j))] = pos.line
            where = f"{label}, overlay #{j + 1}"
            if not isinstance(item, CommentedMap):
                self.fail(
                    f"{where} must be a mapping with text:, got {_kind(item)}",
                    pos,
                    "write `- text: Tokyo, 2 a.m.` with optional position:, start:, end:, style:",
                )
            self.ck.keys(item, OVERLAY_KEYS, f"in {where}", "overlay")
            text = self.ck.text(item, "text", f"cut: {where}: text", required="text" in item)
            if text is None:
                self.fail(f"{where} has no `text:`", pos, "add `text: <the words to show>`")
            start = self.seconds(item, "start", where) or 0.0
            end = self.seconds(item, "end", where)
            if end is not None and end <= start:
                self.fail(
                    f"{where}: end ({_number_text(end)} s) must come after start "
                    f"({_number_text(start)} s)",
                    _value_pos(item, "end"),
                    "start: and end: are seconds after the shot appears; make end: larger",
                )
            if length is not None and start >= length:
                self.fail(
                    f"{where}: starts at {_number_text(start)} s but the shot lasts "
                    f"{_number_text(round(length, 3))} s",
                    _value_pos(item, "start"),
                    f"start it before {_number_text(round(length, 3))} s (seconds after the "
                    "shot appears)",
                )
            out.append(
                Overlay(
                    text=text,
                    position=self.position(item, where),
                    start=start,
                    end=end,
                    style=self.style(item, where),
                )
            )
        return out

    def position(self, node: CommentedMap, where: str) -> str | tuple[float, float]:
        value = node.get("position")
        if value is None:
            return "lower-third"
        pos = _value_pos(node, "position")
        hint = f"use one of {', '.join(POSITIONS)}, or [x, y] as fractions of the frame (0 to 1)"
        if isinstance(value, str):
            name = value.strip().lower().replace(" ", "-").replace("centre", "center")
            if name in POSITIONS:
                return name
            close = difflib.get_close_matches(name, POSITIONS, n=1, cutoff=0.6)
            did_you_mean = f"did you mean {close[0]!r}? " if close else ""
            self.fail(f"{where}: unknown position {_short(value)}", pos, did_you_mean + hint)
        if (
            isinstance(value, CommentedSeq)
            and len(value) == 2
            and all(_is_number(v) and 0 <= float(v) <= 1 for v in value)
        ):
            return (float(value[0]), float(value[1]))
        self.fail(f"{where}: position must be a name or [x, y], got {_kind(value)}", pos, hint)

    def length(self, shot_id: str, in_s: float | None, out_s: float | None) -> float | None:
        """The entry's length in seconds as far as the file tells (None if unknown)."""
        end = out_s if out_s is not None else self.lengths.get(shot_id)
        if end is None:
            return None
        return end - (in_s or 0.0)

    def pos(self, *keys: str | int) -> _Pos | None:
        key = tuple(str(k) for k in keys)
        while key:
            if key in self.lines:
                return _Pos(self.lines[key])
            key = key[:-1]
        return None

    def check_crossfades(self, node: CommentedMap, fields: dict[str, Any]) -> None:
        """Each crossfade must fit inside both clips it joins, and a clip's fades in and
        out must not overlap."""
        entries: list[CutShot] = fields["shots"]
        title: Card | None = fields["title"]
        lengths = [self.length(e.shot, e.in_s, e.out_s) for e in entries]
        for i, entry in enumerate(entries):
            if not entry.transition.crossfade:
                continue
            fade = entry.transition.duration
            label = f"shot {entry.shot!r}"
            before = lengths[i - 1] if i else (title.duration if title else None)
            before_name = f"shot {entries[i - 1].shot!r}" if i else "the title card"
            after_fade = (
                entries[i + 1].transition.duration
                if i + 1 < len(entries) and entries[i + 1].transition.crossfade
                else 0.0
            )
            for other, name, extra in (
                (lengths[i], label, after_fade),
                (before, before_name, 0.0),
            ):
                if other is not None and fade + extra > other + 1e-9:
                    also = f" plus the {_number_text(extra)} s crossfade out of it" if extra else ""
                    self.fail(
                        f"{label}: the {_number_text(fade)} s crossfade{also} is longer than "
                        f"{name} ({_number_text(round(other, 3))} s)",
                        self.pos("shots", i, "transition", "duration"),
                        "shorten the crossfade's duration:, or lengthen the clips with in:/out:",
                    )


def _requested_length(shot: Shot, defaults: VariantSettings) -> float | None:
    """The shortest clip any variant of the shot asks for (None if one does not say)."""
    lengths = []
    for variant in shot.variants:
        duration = variant.duration if variant.duration is not None else defaults.duration
        if duration is None:
            return None
        lengths.append(duration)
    return min(lengths) if lengths else None


__all__ = ["check_cut"]
