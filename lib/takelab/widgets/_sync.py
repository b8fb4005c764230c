"""Synced playback for several takes at once (the A/B player and the review grid).

The videos are plain `<video class="takelab-sync">` tags inside ipywidgets; a transport bar
(play/pause, frame steps, a scrub bar) and a small script go into an `Output` widget in the
same box. The script runs in the browser (JupyterLab evaluates scripts of trusted outputs,
and widget outputs are trusted), so playback never waits on the kernel: it starts every
video together, and while they play it nudges each one's playback rate toward the longest
clip's clock (seeking only when one is far off, since a seek stalls a video for a moment).
Keys act while the player has focus: space plays, the arrows step a frame, and letters
click the buttons named in `keys` (preferences, verdicts), which reach the kernel as
ordinary button clicks.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Mapping
from typing import Any

SCOPE_CLASS = "takelab-sync-scope"
VIDEO_CLASS = "takelab-sync"

_SCRIPT = r"""
(function () {
  const uid = "__UID__", FPS = __FPS__;
  let tries = 0;
  function start() {
    const bar = document.getElementById("takelab-bar-" + uid);
    if (!bar) { if (tries++ < 1200) setTimeout(start, 100); return; }
    if (bar.dataset.wired) return;
    bar.dataset.wired = "1";
    const scope = bar.closest(".__SCOPE__") || bar.parentElement;
    const keys = JSON.parse(bar.dataset.keys || "{}");
    const playBtn = bar.querySelector("[data-act=play]");
    const scrub = bar.querySelector("input.takelab-scrub");
    const clock = bar.querySelector(".takelab-clock");
    let playing = false, scrubbing = false;
    const videos = () => Array.from(scope.querySelectorAll("video.__VIDEO__"));
    function lead() {
      let best = null;
      for (const v of videos()) if (!best || (v.duration || 0) > (best.duration || 0)) best = v;
      return best;
    }
    function setAll(t) {
      for (const v of videos()) {
        const end = v.duration ? v.duration - 0.001 : t;
        v.currentTime = Math.max(0, Math.min(t, end));
      }
    }
    function play() {
      const l = lead();
      if (!l) return;
      setAll(l.ended ? 0 : l.currentTime);
      playing = true;
      for (const v of videos()) { v.playbackRate = 1; v.play().catch(() => {}); }
      playBtn.textContent = "\u275a\u275a Pause";
      scope.dataset.playing = "1";
    }
    function pause() {
      playing = false;
      for (const v of videos()) v.pause();
      const l = lead();
      if (l) setAll(l.currentTime);
      playBtn.textContent = "\u25b6 Play";
      scope.dataset.playing = "";
    }
    function step(n) {
      const l = lead();
      if (!l) return;
      const t = l.currentTime;
      pause();
      setAll(Math.max(0, t + n / FPS));
    }
    function tick() {
      if (!bar.isConnected) {
        clearInterval(timer);
        window.removeEventListener("keydown", onKey, true);
        return;
      }
      const l = lead();
      if (!l || !l.duration) return;
      if (playing) {
        if (l.ended) {
          setAll(0);
          for (const v of videos()) v.play().catch(() => {});
        }
        for (const v of videos()) {
          if (v === l || !v.duration || l.currentTime >= v.duration) continue;
          if (v.paused && !v.ended) v.play().catch(() => {});
          const d = v.currentTime - l.currentTime;
          if (Math.abs(d) > 0.25) { v.currentTime = l.currentTime; v.playbackRate = 1; }
          else if (Math.abs(d) > 0.015) v.playbackRate = Math.max(0.5, Math.min(1.5, 1 - 2 * d));
          else v.playbackRate = 1;
        }
      }
      if (!scrubbing) scrub.value = String(Math.round(1000 * l.currentTime / l.duration));
      clock.textContent = l.currentTime.toFixed(2) + " / " + l.duration.toFixed(2) + " s";
    }
    bar.addEventListener("click", (e) => {
      const act = e.target.closest("[data-act]");
      if (!act) return;
      if (act.dataset.act === "play") playing ? pause() : play();
      else if (act.dataset.act === "back") step(-1);
      else if (act.dataset.act === "fwd") step(1);
    });
    scrub.addEventListener("pointerdown", () => { scrubbing = true; });
    scrub.addEventListener("pointerup", () => { scrubbing = false; });
    scrub.addEventListener("input", () => {
      const l = lead();
      if (l && l.duration) setAll((Number(scrub.value) / 1000) * l.duration);
    });
    scope.tabIndex = 0;
    // Focus follows a click on the videos (after the notebook's own mousedown handling,
    // which would otherwise take the focus back).
    scope.addEventListener("click", (e) => {
      if (e.target.closest("input, textarea, select, button")) return;
      setTimeout(() => scope.focus({ preventScroll: true }), 0);
    });
    // Capture on window: the key is handled before JupyterLab's notebook shortcuts see it
    // (a, b and space mean other things in a notebook's command mode).
    function onKey(e) {
      const a = document.activeElement;
      if (!a || !scope.contains(a) || a.closest("input, textarea, select")) return;
      let handled = true;
      if (e.key === " ") playing ? pause() : play();
      else if (e.key === "ArrowRight") step(1);
      else if (e.key === "ArrowLeft") step(-1);
      else if (keys[e.key]) {
        const b = scope.querySelector("." + keys[e.key]);
        if (b) b.click(); else handled = false;
      } else handled = false;
      if (handled) { e.preventDefault(); e.stopPropagation(); e.stopImmediatePropagation(); }
    }
    window.addEventListener("keydown", onKey, true);
    const timer = setInterval(tick, 40);
  }
  start();
})();
"""


def new_uid() -> str:
    return uuid.uuid4().hex[:12]


def synced_video_html(url: str, *, poster: str | None = None, width: int = 320) -> str:
    """A video that the transport bar drives: no own controls, no own looping (clips of
    different lengths would drift apart), muted so that the browser lets it play."""
    poster_attr = f' poster="{html.escape(poster)}"' if poster else ""
    return (
        f'<video class="{VIDEO_CLASS}" src="{html.escape(url)}"{poster_attr} muted playsinline '
        f'preload="auto" style="width:{width}px;max-width:100%;background:#111;display:block">'
        "</video>"
    )


def transport_html(uid: str, *, keys: Mapping[str, str] | None = None, fps: float = 24.0) -> str:
    """The transport bar and its script. `keys` maps a key to the CSS class of the button
    it clicks (e.g. {"a": "takelab-key-a"})."""
    hint = "space play/pause · ← → one frame" + (
        " · " + " ".join(sorted(keys)) + " (buttons)" if keys else ""
    )
    script = (
        _SCRIPT.replace("__UID__", uid)
        .replace("__FPS__", f"{fps:g}")
        .replace("__SCOPE__", SCOPE_CLASS)
        .replace("__VIDEO__", VIDEO_CLASS)
    )
    data_keys = html.escape(json.dumps(dict(keys or {})), quote=True)
    return (
        f'<div id="takelab-bar-{uid}" class="takelab-transport" data-keys="{data_keys}" '
        'style="display:flex;gap:8px;align-items:center;margin:4px 0">'
        '<button data-act="play" class="takelab-play" style="min-width:90px">\u25b6 Play</button>'
        '<button data-act="back" title="one frame back (\u2190)">\u25c0 frame</button>'
        '<button data-act="fwd" title="one frame on (\u2192)">frame \u25b6</button>'
        '<input type="range" class="takelab-scrub" min="0" max="1000" value="0" '
        'style="width:320px" aria-label="scrub">'
        '<span class="takelab-clock" style="font-family:monospace"></span>'
        f'<span style="color:#666">{html.escape(hint)}</span></div>'
        f"<script>{script}</script>"
    )


def transport_output(uid: str, *, keys: Mapping[str, str] | None = None, fps: float = 24.0) -> Any:
    """An Output widget holding the transport bar (set directly, so no kernel is needed)."""
    import ipywidgets as w

    out = w.Output()
    out.outputs = (
        {
            "output_type": "display_data",
            "data": {
                "text/html": transport_html(uid, keys=keys, fps=fps),
                "text/plain": "transport bar (needs JupyterLab)",
            },
            "metadata": {},
        },
    )
    return out


__all__ = [
    "SCOPE_CLASS",
    "VIDEO_CLASS",
    "new_uid",
    "synced_video_html",
    "transport_html",
    "transport_output",
]
