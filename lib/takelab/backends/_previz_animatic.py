"""The animatic previz renders: a take request painted frame by frame (background and
light from the lighting text, labelled subjects moving as the action says, the camera
move, captions, subtitles and a sound bed), then encoded as H.264.

Speed comes from doing the drawing once: backgrounds, sprites and text are painted before
the first frame, and each frame is a crop (or a nearest-neighbour resize) of a
precomputed canvas plus a few small alpha pastes, handed to ffmpeg while it encodes the
previous one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageOps

from takelab.backends._base import TakeRequest
from takelab.backends._previz_overlay import Overlay, last_frame
from takelab.backends._previz_scene import (
    _DEFAULT_COLOURS,
    FPS,
    LIGHT_STEPS,
    SIZE_STEP,
    U8,
    U16,
    Light,
    Motion,
    _has,
    parse_camera,
    parse_light,
    parse_motion,
    parse_subject,
    scene_fields,
)
from takelab.backends._previz_sound import (
    Line,
    parse_dialogue,
    parse_sound,
    synthesise,
    timed_lines,
)
from takelab.backends._previz_sprites import (
    _draw_shape,
    _even,
    _font,
    _label,
    _Layout,
    _smooth,
    _Sprite,
    _stable_hash,
    _wrap,
)
from takelab.errors import BackendError
from takelab.project.model import frame_size


class Animatic:
    """Renders the frames of one take; everything costly is done in the constructor."""

    def __init__(self, request: TakeRequest) -> None:
        self.request = request
        self.width, self.height = frame_size(request.aspect, request.resolution)
        self.frames = max(1, round(request.duration_s * FPS))
        self.rng = np.random.default_rng((request.seed + _stable_hash(request.prompt)) % 2**64)
        f = scene_fields(request.prompt, request.fields)
        self.light_a, self.light_b, self.flicker = parse_light(f.get("lighting", ""))
        self.camera = parse_camera(f.get("camera", ""))
        self.mono = _has(
            f.get("style", "").lower(), r"\b(black and white|black-and-white|monochrome|b&w|noir)\b"
        )
        self.layouts = self._place(f)
        margin = 0.25 if self.camera.travels else 0.05 if self.camera.handheld else 0.0
        self.cw, self.ch = _even(self.width * (1 + margin)), _even(self.height * (1 + margin))
        self._skyline = self._plan_skyline()
        self.bg_a = self._paint(self.light_a)
        self.bg_b = self.bg_a if self.light_b == self.light_a else self._paint(self.light_b)
        self._diff = self.bg_b.astype(np.int16) - self.bg_a if self.bg_b is not self.bg_a else None
        self._level: tuple[int, U8, Image.Image | None] = (0, self.bg_a, None)
        self._mix_buf: tuple[NDArray[np.int16], U8] | None = None
        self._sprites: dict[tuple[int, int, int, int], _Sprite] = {}
        label_size = max(10, round(min(self.width, self.height) * 0.03))
        self._labels = [_label(lay.subject.label, label_size) for lay in self.layouts]
        self._caption_setup()
        self._strip_second: tuple[int, U8, int] = (-1, self.strip, 0)
        self._flicker = self.rng.random(8) < 0.5
        self._shake = self.rng.uniform(0, 2 * math.pi, 6)
        self._out: U8 = np.empty((self.height, self.width, 3), np.uint8)
        self._zoomed: tuple[tuple[int, int, int, float], U8] = ((-1, 0, 0, 0.0), self._out)
        self.lines: list[Line] = timed_lines(parse_dialogue(request.prompt), request.duration_s)
        self.sound = parse_sound(request.prompt)
        self.overlay = Overlay(
            self.width,
            self.height,
            self.height - self.strip_h,
            self.frames,
            FPS,
            self.lines,
            request.reference_paths,
            request.end_image_path,
        )

    @property
    def has_sound(self) -> bool:
        """Sound is made when asked for (`audio: true`), or by default when the prompt
        has spoken lines or a sound cue; `audio: false` is always silent."""
        if self.request.audio is not None:
            return self.request.audio
        return bool(self.lines or self.sound)

    def sound_bed(self) -> NDArray[np.int16]:
        """The take's sound (16-bit stereo at 48 kHz), exactly as long as its frames."""
        return synthesise(self.lines, self.sound, self.frames / FPS, self.request.seed)

    # -- plan ---------------------------------------------------------------------------

    def _place(self, f: Mapping[str, str]) -> list[_Layout]:
        primary = parse_subject(f.get("subject") or "subject")
        motion = parse_motion(f.get("action", ""))
        out: list[_Layout] = []
        pick = int(self.rng.integers(len(_DEFAULT_COLOURS)))
        side = 1.0 if self.rng.random() < 0.5 else -1.0
        if f.get("secondary"):
            sub = parse_subject(f["secondary"])
            colour = sub.colour or _DEFAULT_COLOURS[(pick + 1) % len(_DEFAULT_COLOURS)]
            out.append(_Layout(sub, colour, 0.5 + 0.3 * side, 0.66, 0.17, Motion()))
        x = 0.5 - motion.dx / 2 - (0.08 * side if f.get("secondary") else 0.0)
        colour = primary.colour or _DEFAULT_COLOURS[pick]
        out.append(_Layout(primary, colour, x, 0.84, 0.42, motion))
        return out

    def _plan_skyline(
        self,
    ) -> list[tuple[float, float, float, list[tuple[float, float, float, int]]]]:
        """Buildings (x0, x1, top) with windows (x, y, lit-threshold, colour index)."""
        out = []
        x = -0.02
        while x < 1.0:
            w = float(self.rng.uniform(0.04, 0.11))
            top = float(self.rng.uniform(0.32, 0.54))
            windows = [
                (float(wx), float(wy), float(self.rng.random()), int(self.rng.integers(0, 3)))
                for wx in np.arange(x + 0.01, x + w - 0.012, 0.018)
                for wy in np.arange(top + 0.02, 0.6, 0.035)
            ]
            out.append((x, x + w, top, windows))
            x += w + float(self.rng.uniform(0.0, 0.02))
        return out

    def _paint(self, light: Light) -> U8:
        """The whole canvas for one light: sky, glows, skyline and street (or the image)."""
        cw, ch = self.cw, self.ch
        if self.request.image_path or self.request.extend_path:
            return self._paint_image(light)
        lw, lh = max(16, cw // 4), max(16, ch // 4)
        y = np.linspace(0.0, 1.0, lh, dtype=np.float32)[:, None, None]
        x = np.linspace(0.0, 1.0, lw, dtype=np.float32)[None, :, None]
        top, hor, gnd = (
            np.array(c, np.float32) for c in (light.sky_top, light.horizon, light.ground)
        )
        horizon = 0.6
        sky = top + (hor - top) * np.clip(y / horizon, 0, 1) ** 1.4
        ground = gnd * (1.15 - 0.6 * np.clip((y - horizon) / (1 - horizon), 0, 1))
        img = np.where(y < horizon, sky, ground) + np.zeros_like(x)
        for gx, gy, gr, colour in light.glows:
            d2 = ((x - gx) * (cw / ch)) ** 2 + (y - gy) ** 2
            img = img + np.array(colour, np.float32) * 0.85 * np.exp(-d2 / (2 * gr * gr))
        canvas = Image.fromarray(self._grade(img, light)).resize(
            (cw, ch), Image.Resampling.BILINEAR
        )
        d = ImageDraw.Draw(canvas)
        body = tuple(int(c * 0.4 * light.level) for c in np.add(light.horizon, light.ground) / 2)
        gy = int(horizon * ch)
        for x0, x1, top_y, windows in self._skyline:
            d.rectangle((int(x0 * cw), int(top_y * ch), int(x1 * cw), gy), fill=body)
            for wx, wy, threshold, ci in windows:
                if threshold < light.windows:
                    colour = light.window_colours[ci % len(light.window_colours)]
                    lit = tuple(int(c * min(1.0, 0.4 + light.level)) for c in colour)
                    px, py = int(wx * cw), int(wy * ch)
                    d.rectangle((px, py, px + max(1, cw // 200), py + max(1, ch // 90)), fill=lit)
        line = tuple(min(255, int(c * 1.5 + 20)) for c in light.ground)
        lw_px = max(1, ch // 200)
        d.line((cw * 0.47, gy, -cw * 0.1, ch), fill=line, width=lw_px)
        d.line((cw * 0.53, gy, cw * 1.1, ch), fill=line, width=lw_px)
        return np.asarray(canvas.convert("RGB")).copy()

    def _grade(self, img: NDArray[np.float32], light: Light) -> U8:
        luma = img @ np.array([0.3, 0.59, 0.11], np.float32)
        if light.haze:
            img = img * (1 - light.haze) + (luma[..., None] * 0.8 + 40) * light.haze
        if self.mono:
            img = np.repeat(luma[..., None], 3, axis=-1)
        return np.asarray(np.clip(img * light.level, 0, 255), np.uint8)

    def _paint_image(self, light: Light) -> U8:
        """The first-frame image as the background; for a take that extends another
        (and has no image of its own), the other take's last frame."""
        if not self.request.image_path:
            picture = last_frame(Path(self.request.extend_path or ""))
            fitted = ImageOps.fit(picture.convert("RGB"), (self.cw, self.ch))
            return self._grade(np.asarray(fitted, np.float32), light)
        path = Path(self.request.image_path)
        try:
            with Image.open(path) as im:
                fitted = ImageOps.fit(
                    im.convert("RGB"), (self.cw, self.ch), Image.Resampling.BICUBIC
                )
        except OSError as exc:
            raise BackendError(
                "previz", f"cannot read the first-frame image {path}: {exc}"
            ) from exc
        arr = np.asarray(fitted, np.float32)
        tint = np.array(light.horizon, np.float32)
        return self._grade(arr * 0.8 + tint * 0.2, light)

    def _caption_setup(self) -> None:
        """The caption strip: the prompt the animatic was made from (up to two lines), then
        shot / variant / seed and the time code. A storyboard frame says what it shows."""
        r = self.request
        base_h = _even(max(14, self.height * 0.065))
        pad = base_h // 2
        prompt_font = _font(max(7, int(self.height * 0.024)))
        lines = _wrap(r.prompt, prompt_font, self.width - 2 * pad, max_lines=2)
        line_h = max(8, round(max(7, int(self.height * 0.024)) * 1.3))
        prompt_h = _even(len(lines) * line_h + line_h * 0.4) if lines else 0
        self.strip_h = base_h + prompt_h
        strip = Image.new("RGB", (self.width, self.strip_h), (22, 22, 26))
        draw = ImageDraw.Draw(strip)
        for n, line in enumerate(lines):
            draw.text(
                (pad, round(line_h * 0.3) + n * line_h),
                line,
                fill=(200, 200, 205),
                font=prompt_font,
            )
        font = _font(max(8, int(base_h * 0.5)))
        text = f"{r.shot} / {r.variant} / seed {r.seed}"
        _, top, _, bottom = font.getbbox(text)
        draw.text(
            (pad, prompt_h + (base_h - (bottom - top)) // 2 - top),
            text,
            fill=(235, 235, 235),
            font=font,
        )
        self.strip: U8 = np.asarray(strip).copy()
        self.pad = pad
        small = _font(max(8, int(base_h * 0.42)))
        self.glyphs: dict[str, U16] = {}
        for ch in "0123456789:":
            img = Image.new("L", (base_h, base_h))
            ImageDraw.Draw(img).text((0, 0), ch, fill=255, font=small)
            box = img.getbbox() or (0, 0, 1, 1)
            mask = np.asarray(img.crop((0, 0, box[2], img.height)), dtype=np.uint16)
            self.glyphs[ch] = mask + (mask >> 7)
        digit_w = max(g.shape[1] for g in self.glyphs.values()) + 1
        # Digits share one advance so the time code does not jitter; the colon is narrow.
        self.advance = {ch: digit_w for ch in "0123456789"}
        self.advance[":"] = self.glyphs[":"].shape[1] + 2
        self.glyph_y = prompt_h + (base_h - max(8, int(base_h * 0.42))) // 2

    # -- per frame ------------------------------------------------------------------------

    def light_mix(self, u: float) -> float:
        """How far the light has gone from its start to its end state at clip time u."""
        if self.flicker:
            if u < 0.3:
                return 0.0
            if u < 0.55:
                return float(self._flicker[int((u - 0.3) / 0.25 * 8) % 8])
            return 1.0
        return _smooth(u)

    def _background(self, level: int) -> tuple[U8, Image.Image | None]:
        cached_level, arr, img = self._level
        if cached_level != level:
            if self._diff is None or level == 0:
                arr = self.bg_a
            elif level == LIGHT_STEPS:
                arr = self.bg_b
            else:
                # In place, in buffers kept between levels: fresh arrays this size would
                # cost more in page faults than the arithmetic.
                if self._mix_buf is None:
                    self._mix_buf = np.empty_like(self._diff), np.empty_like(self.bg_a)
                mixed, arr = self._mix_buf
                np.multiply(self._diff, np.int16(round(level * 128 / LIGHT_STEPS)), out=mixed)
                mixed >>= 7
                mixed += self.bg_a
                np.copyto(arr, mixed, casting="unsafe")
            img = None
            self._level = (level, arr, img)
        return arr, img

    def _shot(self, u: float, t: float) -> tuple[float, float, float, float, float, float]:
        """Camera at clip time: window centre offset (x, y), background zoom, subject zoom,
        and the subject layer's extra shift (x, y) in screen pixels."""
        cam, e = self.camera, _smooth(u)
        travel_x = (self.cw - self.width) / 2 * 0.9
        travel_y = (self.ch - self.height) / 2 * 0.9
        ox = cam.pan * travel_x * (2 * e - 1)
        oy = -cam.tilt * travel_y * (2 * e - 1)
        orbit = cam.orbit * travel_x * (2 * e - 1)
        if cam.handheld:
            amp = cam.handheld * 0.006 * self.width
            p = self._shake
            ox += amp * (math.sin(2.1 * t + p[0]) + 0.5 * math.sin(4.7 * t + p[1]))
            oy += amp * (math.sin(1.7 * t + p[2]) + 0.5 * math.sin(5.3 * t + p[3]))
        zoom_in = 0.3 * cam.zoom * (e if cam.zoom > 0 else e - 1)
        dolly = cam.dolly * (e if cam.dolly > 0 else e - 1)
        z_bg = 1.0 + abs(zoom_in) + 0.12 * abs(dolly)
        z_sub = 1.0 + abs(zoom_in) + 0.45 * abs(dolly)
        return ox + orbit, oy, z_bg, z_sub, 0.35 * orbit, 0.0

    def _sprite(self, index: int, height: float, angle: float, ambient: float) -> _Sprite:
        """The subject's shape at a size (in 1.5% steps), angle (2 degree steps) and light."""
        step = round(math.log(max(height, 4.0)) / math.log(SIZE_STEP))
        key = (index, step, 2 * round(angle / 2), int(ambient * 16))
        sprite = self._sprites.get(key)
        if sprite is None:
            lay = self.layouts[index]
            shade = 0.45 + 0.55 * key[3] / 16
            r, g, b = (int(c * shade) for c in lay.colour)
            if self.mono:
                r = g = b = int(0.3 * r + 0.59 * g + 0.11 * b)
            size = round(SIZE_STEP**step)
            sprite = self._sprites[key] = _draw_shape(lay.subject.kind, (r, g, b), size, key[2])
        return sprite

    def render_frame(self, i: int) -> U8:
        """Frame `i` as a uint8 RGB array (reused between calls: copy it to keep it)."""
        w, h, out = self.width, self.height, self._out
        u = i / max(1, self.frames - 1)
        t = i / FPS
        mix = self.light_mix(u)
        level = round(mix * LIGHT_STEPS)
        canvas, image = self._background(level)
        ox, oy, z_bg, z_sub, sx, sy = self._shot(u, t)
        # The window is whole pixels, and while zoomed its width moves in 4 px steps, so a
        # slow zoom reuses the last resized background (and the encoder sees still pixels).
        win_w = float(w) if z_bg == 1.0 else max(4.0, 4.0 * round(w / z_bg / 4))
        win_h = win_w * h / w
        x0 = round(min(max(self.cw / 2 + ox - win_w / 2, 0), self.cw - win_w))
        y0 = round(min(max(self.ch / 2 + oy - win_h / 2, 0), self.ch - win_h))
        cx, cy = x0 + win_w / 2, y0 + win_h / 2
        if z_bg == 1.0:
            np.copyto(out, canvas[y0 : y0 + h, x0 : x0 + w])
        else:
            key = (level, x0, y0, win_w)
            if self._zoomed[0] != key:
                if image is None:
                    image = Image.fromarray(canvas)
                    self._level = (level, canvas, image)
                box = (x0, y0, x0 + win_w, y0 + win_h)
                resized = image.resize((w, h), Image.Resampling.NEAREST, box=box)
                self._zoomed = (key, np.asarray(resized))
            np.copyto(out, self._zoomed[1])
        shift_x = -(cx - self.cw / 2) * z_bg + sx
        shift_y = -(cy - self.ch / 2) * z_bg + sy
        ambient = self.light_a.ambient + (self.light_b.ambient - self.light_a.ambient) * mix
        bottom = h - self.strip_h
        for index, lay in enumerate(self.layouts):
            ax, ay, scale, angle = self._pose(lay.motion, u, t)
            px = w / 2 + ((lay.x + ax) * w - w / 2) * z_sub + shift_x
            py = h / 2 + ((lay.y + ay) * h - h / 2) * z_sub + shift_y
            sprite = self._sprite(index, lay.height * h * scale * z_sub, angle, ambient)
            sprite.paste(out, px, py, bottom)
            label = self._labels[index]
            lx = min(max(px - label.w / 2, 2), w - label.w - 2)
            label.paste(out, lx, min(py + 4, bottom - label.h - 2), bottom)
        self.overlay.apply(out, i)
        self._caption(out, i)
        return out

    def _pose(self, m: Motion, u: float, t: float) -> tuple[float, float, float, float]:
        """Offset (x, y) in frame fractions, scale and angle of a subject at clip time u."""
        p = min(1.0, u / m.hold)
        moving = p < 1.0 and bool(m.depth or m.dx or m.walking)
        scale = 1.0 + m.depth * p if m.depth >= 0 else 1.0 / (1.0 - m.depth * p * 1.5)
        ax = m.dx * p
        ay = 0.05 * m.depth * p
        if moving and m.walking:
            ay -= 0.006 * abs(math.sin(2 * math.pi * t * 2))
        if m.bounce:
            ay -= m.bounce * 0.42 * scale * abs(math.sin(2 * math.pi * t / 0.8))
        if not (m.depth or m.dx or m.bounce or m.walking):
            scale *= 1.0 + 0.015 * math.sin(2 * math.pi * t / 2.5)  # idle breathing
        g = _smooth((u - m.hold) / (1 - m.hold)) if m.hold < 1.0 else _smooth(u)
        angle = m.turn * g
        if m.look_up:
            angle -= 5.0 * g
            ay -= 0.02 * g
        return ax, ay, scale, angle

    def _caption(self, out: U8, i: int) -> None:
        """The caption strip with the time code (HH:MM:SS:FF); the strip up to the seconds
        is kept from the previous frame of the same second, so a frame draws two digits."""
        seconds, frame = divmod(i, FPS)
        code = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:"
        x = self.width - self.pad - sum(self.advance[ch] for ch in code + "00")
        if self._strip_second[0] != seconds:
            strip = self.strip.copy()
            x = self._type(strip, code, x)
            self._strip_second = (seconds, strip, x)
        _, strip, x = self._strip_second
        h = self.height
        np.copyto(out[h - self.strip_h :], strip)
        self._type(out[h - self.strip_h :], f"{frame:02d}", x)

    def _type(self, strip: U8, text: str, x: int) -> int:
        """Blend white glyphs of `text` into the strip from x; returns the x after them."""
        for ch in text:
            mask = self.glyphs[ch]
            gh, gw = mask.shape
            if x >= 0:
                region = strip[self.glyph_y : self.glyph_y + gh, x : x + gw]
                mix = (255 - region) * mask[: region.shape[0], : region.shape[1], None]
                mix >>= 8
                region += mix.astype(np.uint8)
            x += self.advance[ch]
        return x
