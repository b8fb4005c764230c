"""Checks of the `cut:` section's own fields: cards, audio bed, grade, disclosure,
credentials, and the text style, colour, seconds and file checks the entries share.

A mixin of `_cut_loader._CutChecker`; kept apart so each module reads in one sitting.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from takelab.project.cut_model import (
    AudioBed,
    Card,
    Credentials,
    Disclosure,
    Grade,
    TextStyle,
    resolve,
)
from takelab.project.load import (
    _is_bool,
    _is_number,
    _key_pos,
    _kind,
    _number_text,
    _Pos,
    _short,
    _value_pos,
)

if TYPE_CHECKING:
    from takelab.project.load import _Checker

CARD_KEYS = ("text", "duration", "background", "style")
STYLE_KEYS = ("size", "color", "font")
AUDIO_KEYS = ("file", "fade_in", "fade_out", "level")
GRADE_KEYS = ("lut", "lift", "gamma", "gain")
DISCLOSURE_KEYS = ("text", "burn_in")
CREDENTIAL_KEYS = ("cert", "key", "trust")
AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".aif", ".aiff")


class FieldChecks:
    """Field checks over the project loader's `_Checker`; errors are prefixed `cut:`."""

    ck: _Checker
    lines: dict[tuple[str, ...], int]

    def fail(self, message: str, pos: _Pos | None, hint: str) -> NoReturn:
        self.ck.fail(f"cut: {message}", pos, hint)

    def style(self, node: CommentedMap, where: str) -> TextStyle:
        value = node.get("style")
        if value is None:
            return TextStyle()
        if not isinstance(value, CommentedMap):
            self.fail(
                f"{where}: style must be a mapping (size:, color:, font:), got {_kind(value)}",
                _value_pos(node, "style"),
                'write e.g. style: {size: 48, color: "#ffcc00"}',
            )
        self.ck.keys(value, STYLE_KEYS, f"in {where}'s style", "style")
        fields: dict[str, Any] = {}
        if value.get("size") is not None:
            size = value["size"]
            if not (_is_number(size) and float(size).is_integer() and 6 <= size <= 1000):
                self.fail(
                    f"{where}: style size must be a whole number of pixels (6 to 1000), got "
                    f"{_kind(size)}",
                    _value_pos(value, "size"),
                    "write e.g. size: 48",
                )
            fields["size"] = int(size)
        if value.get("color") is not None:
            fields["color"] = self.colour(value, "color", f"{where}: style color")
        if value.get("font") is not None:
            fields["font"] = self.font(value, where)
        return TextStyle(**fields)

    def font(self, node: CommentedMap, where: str) -> str:
        name = self.ck.text(node, "font", f"cut: {where}: style font", required=True)
        assert name is not None
        path = resolve(self.ck.path.parent, name)
        if "/" in name or "\\" in name or name.startswith("~") or Path(name).is_absolute():
            assert path is not None
            self.inside(node, "font", f"{where}: font", name, path)  # a path, not a font name
        if path is not None and path.is_file():
            self.inside(node, "font", f"{where}: font", name, path)
            return name
        from PIL import ImageFont

        try:
            ImageFont.truetype(name, 12)
        except OSError:
            self.fail(
                f"{where}: font {_short(name)} not found (looked for {path} and in the "
                "system's fonts)",
                _value_pos(node, "font"),
                "give a .ttf or .otf file relative to the project file, an installed font's "
                "file name (e.g. DejaVuSans.ttf), or remove font: to use the default",
            )
        return name

    # -- cards, audio, grade, disclosure, credentials ---------------------------------

    def card(self, node: CommentedMap, key: str) -> Card | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            text = value.strip()
            if not text:
                self.fail(f"the {key} card is empty", _key_pos(node, key), "write its text")
            return Card(text=text)
        if not isinstance(value, CommentedMap):
            self.fail(
                f"{key} must be text or a mapping (text:, duration:, background:), got "
                f"{_kind(value)}",
                _value_pos(node, key),
                f'write e.g. {key}: {{text: "Tokyo Rain", duration: 2, background: black}}',
            )
        self.ck.keys(value, CARD_KEYS, f"in the {key} card", "card")
        if "text" not in value:
            self.fail(f"the {key} card has no `text:`", _key_pos(node, key), "add `text: ...`")
        card_text = self.ck.text(value, "text", f"cut: {key}: text", required=True)
        assert card_text is not None
        fields: dict[str, Any] = {"text": card_text}
        duration = self.seconds(value, "duration", f"{key} card")
        if duration is not None:
            if duration <= 0:
                self.fail(
                    f"the {key} card's duration must be more than 0 seconds",
                    _value_pos(value, "duration"),
                    "write e.g. duration: 2",
                )
            fields["duration"] = duration
        if value.get("background") is not None:
            fields["background"] = self.colour(value, "background", f"{key} card background")
        if value.get("style") is not None:
            fields["style"] = self.style(value, f"{key} card")
        return Card(**fields)

    def audio(self, node: CommentedMap) -> AudioBed | None:
        value = node.get("audio")
        if value is None:
            return None
        if isinstance(value, str):
            return AudioBed(file=self.file(node, "audio", "audio file", AUDIO_SUFFIXES))
        value_map = value
        if not isinstance(value_map, CommentedMap):
            self.fail(
                f"audio must be a file or a mapping (file:, fade_in:, fade_out:, level:), got "
                f"{_kind(value)}",
                _value_pos(node, "audio"),
                "write e.g. audio: {file: music/bed.wav, fade_in: 1, fade_out: 2, level: -6}",
            )
        self.ck.keys(value_map, AUDIO_KEYS, "in audio", "audio")
        if "file" not in value_map:
            self.fail(
                "audio has no `file:`",
                _key_pos(node, "audio"),
                "add `file: <path>` relative to the project file",
            )
        fields: dict[str, Any] = {
            "file": self.file(value_map, "file", "audio file", AUDIO_SUFFIXES)
        }
        for key in ("fade_in", "fade_out"):
            seconds = self.seconds(value_map, key, "audio")
            if seconds is not None:
                fields[key] = seconds
        if value_map.get("level") is not None:
            pos = _value_pos(value_map, "level")
            level = self.ck.number(value_map["level"], pos, "cut: audio: level", "dB", "-6")
            if not -60 <= level <= 24:
                self.fail(
                    f"audio level {_number_text(level)} dB is out of range",
                    pos,
                    "write a gain in dB from -60 to 24: 0 keeps the file's level, -6 halves it",
                )
            fields["level"] = level
        return AudioBed(**fields)

    def loudness(self, node: CommentedMap) -> float | None:
        """`loudness: -14` (LUFS, the mix's target) or `loudness: off` (leave it as is)."""
        value = node.get("loudness")
        if value is None or (isinstance(value, str) and value.strip().lower() == "off"):
            return None
        if isinstance(value, bool):
            value = "true or false"
        pos = _value_pos(node, "loudness")
        lufs = self.ck.number(value, pos, "cut: loudness", "a level in LUFS or off", "-14")
        if not -40 <= lufs <= -5:
            self.fail(
                f"loudness {_number_text(lufs)} LUFS is out of range",
                pos,
                "write a target from -40 to -5 LUFS (-14 for streaming, -23 for broadcast), "
                "or `off` to keep the takes' levels",
            )
        return lufs

    def grade(self, node: CommentedMap) -> Grade | None:
        value = node.get("grade")
        if value is None:
            return None
        if not isinstance(value, CommentedMap):
            self.fail(
                f"grade must be a mapping (lut:, or lift:/gamma:/gain:), got {_kind(value)}",
                _value_pos(node, "grade"),
                "write grade: {lut: looks/film.cube} or grade: {lift: 0.02, gamma: 1.1, "
                "gain: 0.95}",
            )
        self.ck.keys(value, GRADE_KEYS, "in grade", "grade")
        numbers = [k for k in ("lift", "gamma", "gain") if value.get(k) is not None]
        if value.get("lut") is not None and numbers:
            self.fail(
                f"grade has both lut: and {', '.join(numbers)}",
                _key_pos(value, numbers[0]),
                "use a LUT or lift/gamma/gain, not both: bake the numbers into the LUT, or "
                "remove lut:",
            )
        if value.get("lut") is not None:
            return Grade(lut=self.file(value, "lut", "LUT file", (".cube",)))
        fields: dict[str, Any] = {}
        for key, low, high, example in (
            ("lift", -1.0, 1.0, "0.02"),
            ("gamma", 0.1, 10.0, "1.1"),
            ("gain", 0.0, 10.0, "0.95"),
        ):
            if value.get(key) is not None:
                fields[key] = self.rgb(value, key, low, high, example)
        return Grade(**fields)

    def rgb(
        self, node: CommentedMap, key: str, low: float, high: float, example: str
    ) -> tuple[float, float, float]:
        value = node[key]
        pos = _value_pos(node, key)
        hint = (
            f"write one number for all channels or [r, g, b], each from {_number_text(low)} "
            f"to {_number_text(high)}, e.g. {key}: {example}"
        )
        items = list(value) if isinstance(value, CommentedSeq) else [value]
        if len(items) not in (1, 3) or not all(_is_number(v) for v in items):
            self.fail(f"grade {key} must be a number or [r, g, b], got {_kind(value)}", pos, hint)
        numbers = [float(v) for v in items]
        if not all(low <= v <= high for v in numbers):
            self.fail(
                f"grade {key} {_number_text(max(numbers, key=abs))} is out of range", pos, hint
            )
        r, g, b = numbers * 3 if len(numbers) == 1 else numbers
        return (r, g, b)

    def disclosure(self, node: CommentedMap) -> Disclosure | None:
        value = node.get("disclosure")
        if value is None:
            return None
        pos = _value_pos(node, "disclosure")
        if _is_bool(value):
            self.fail(
                "disclosure cannot be switched off: the label is always written into the "
                "file's metadata",
                pos,
                "to keep it out of the picture, write disclosure: {burn_in: false}",
            )
        if isinstance(value, str):
            text = value.strip()
            if not text:
                self.fail("disclosure text is empty", pos, "write the label's text")
            return Disclosure(text=text)
        if not isinstance(value, CommentedMap):
            self.fail(
                f"disclosure must be text or a mapping (text:, burn_in:), got {_kind(value)}",
                pos,
                'write e.g. disclosure: {text: "Contains AI-generated footage", burn_in: true}',
            )
        self.ck.keys(value, DISCLOSURE_KEYS, "in disclosure", "disclosure")
        fields: dict[str, Any] = {}
        if "text" in value:
            fields["text"] = self.ck.text(value, "text", "cut: disclosure: text", required=True)
        if value.get("burn_in") is not None:
            burn = value["burn_in"]
            if not _is_bool(burn):
                self.fail(
                    f"disclosure burn_in must be true or false, got {_kind(burn)}",
                    _value_pos(value, "burn_in"),
                    "write burn_in: true (the label in the picture) or burn_in: false",
                )
            fields["burn_in"] = bool(burn)
        return Disclosure(**fields)

    def credentials(self, node: CommentedMap) -> Credentials | None:
        value = node.get("credentials")
        if value is None:
            return None
        if not isinstance(value, CommentedMap):
            self.fail(
                f"credentials must be a mapping (cert:, key:, trust:), got {_kind(value)}",
                _value_pos(node, "credentials"),
                "write credentials: {cert: certs/chain.pem, key: certs/key.pem}, or set "
                "TAKELAB_C2PA_CERT and TAKELAB_C2PA_KEY instead",
            )
        self.ck.keys(value, CREDENTIAL_KEYS, "in credentials", "credentials")
        for key in ("cert", "key"):
            if key not in value:
                self.fail(
                    f"credentials has no `{key}:`",
                    _key_pos(node, "credentials"),
                    "give both cert: (the PEM chain, signer first) and key: (its private key)",
                )
        return Credentials(
            cert=self.file(value, "cert", "certificate file", (".pem", ".crt", ".cer")),
            key=self.file(value, "key", "key file", (".pem", ".key")),
            trust=self.file(value, "trust", "trust anchor file", (".pem", ".crt", ".cer"))
            if value.get("trust") is not None
            else None,
        )

    # -- shared field checks -----------------------------------------------------------

    def seconds(self, node: CommentedMap, key: str, label: str) -> float | None:
        value = node.get(key)
        if value is None:
            return None
        pos = _value_pos(node, key)
        seconds = self.ck.number(value, pos, f"cut: {label}: {key}", "a number of seconds", "1.5")
        if not (math.isfinite(seconds) and seconds >= 0):
            self.fail(
                f"{label}: {key} must be 0 seconds or more, got {value}",
                pos,
                f"write a number of seconds, e.g. {key}: 1.5",
            )
        return seconds

    def colour(self, node: CommentedMap, key: str, label: str) -> str:
        from PIL import ImageColor

        value = node[key]
        pos = _value_pos(node, key)
        hint = 'write a colour name (white, black, navy) or "#rrggbb" in quotes'
        if not isinstance(value, str):
            self.fail(f"{label} must be a colour, got {_kind(value)}", pos, hint)
        try:
            ImageColor.getrgb(value.strip())
        except ValueError:
            self.fail(f"{label}: {_short(value)} is not a colour", pos, hint)
        return value.strip()

    def file(self, node: CommentedMap, key: str, what: str, suffixes: tuple[str, ...]) -> str:
        name = self.ck.text(node, key, f"cut: {what}", required=True)
        assert name is not None
        pos = _value_pos(node, key)
        path = resolve(self.ck.path.parent, name)
        assert path is not None
        self.inside(node, key, what, name, path)
        if not path.is_file():
            self.fail(
                f"{what} {name!r} not found (looked for {path})",
                pos,
                "put the file there or fix the path (relative to the project file's folder)",
            )
        if path.suffix.lower() not in suffixes:
            self.fail(
                f"{what} {name!r} is not a {' / '.join(suffixes)} file",
                pos,
                f"give a {' or '.join(suffixes)} file",
            )
        return name

    def inside(self, node: CommentedMap, key: str, what: str, name: str, path: Path) -> None:
        """The containment rule of `image:` for every path of the cut section: inside the
        project file's folder (symlinks resolved) unless `allow_external_images: true`."""
        if self.ck.allow_external_images:
            return
        folder = self.ck.path.parent
        try:
            ok = path.resolve().is_relative_to(folder.resolve())
        except (OSError, ValueError, RuntimeError):  # a symlink loop, a NUL in the path
            ok = False
        if not ok:
            self.fail(
                f"{what} {_short(name)} is outside the project file's folder ({folder})",
                _value_pos(node, key),
                "move the file next to the project file (e.g. into a folder beside it), or"
                " set `allow_external_images: true` at the top level of the project file",
            )


__all__ = ["FieldChecks"]
