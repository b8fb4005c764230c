"""The Dailies and A/B players play a take's sound: muted at first, with an unmute control,
only where the take has a sound track."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from takelab.backends import TakeRequest
from takelab.backends.previz import render
from takelab.home import Home
from takelab.widgets import JupyterServer, MediaLinks
from takelab.widgets._player import take_player, video_html

TALK = 'A man stands still on a street. Dialogue (at 0.1s): the man says: "Hello."'


def _take(home: Home, take_id: str, audio: bool) -> None:
    req = TakeRequest(
        project="p",
        shot="s",
        variant="v",
        prompt=TALK,
        backend="previz",
        model="animatic",
        duration_s=1.0,
        aspect="16:9",
        resolution="480p",
        seed=1,
        audio=audio,
    )
    render(req, home.take_dir(take_id) / "take.mp4")


def test_a_take_with_sound_gets_an_unmute_control(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAKELAB_HOME", str(tmp_path / "home"))
    home = Home.from_env()
    _take(home, "a" * 16, audio=True)
    _take(home, "b" * 16, audio=False)
    links = MediaLinks(home, jupyter=JupyterServer(tmp_path))
    talking = take_player(links, "a" * 16)
    silent = take_player(links, "b" * 16)
    assert "unmute" in talking and " muted " in talking and "autoplay" in talking
    assert "v.muted=!v.muted" in html.unescape(talking)
    assert "unmute" not in silent and "autoplay" not in silent and " muted " in silent


def test_video_html_without_sound_is_unchanged() -> None:
    assert video_html("/x.mp4").startswith('<video src="/x.mp4" controls loop muted')
