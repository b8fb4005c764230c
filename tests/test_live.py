"""Live smoke tests: one real, cheapest-possible take per provider, through `run_sweep`.

These spend real money (cents to $1.40 a test) and are never part of the default run:
they are marked `live`, which pyproject's `addopts` deselects, and each is skipped unless
its provider's key is set (in the environment or a `.env`, where takelab reads keys).
Run them on purpose, one provider at a time:

    RUNWAYML_API_SECRET=... .venv/bin/pytest -m live tests/test_live.py -k runway

Each sweep runs in the test's own TAKELAB_HOME (a pytest temporary folder, kept for the
last few runs) under a budget just above the take's price, so a price-table mistake stops
it rather than spending more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from takelab.home import Home
from takelab.journal.store import Journal
from takelab.media import io as media
from takelab.secrets import get_secret
from takelab.sweep.run import run_sweep

pytestmark = [pytest.mark.live, pytest.mark.timeout(1800)]

PROMPT = (
    "Steam rises slowly from a white coffee cup on a wooden table, static close-up,"
    " soft morning window light"
)


@dataclass(frozen=True)
class Live:
    spec: str  # NAME:MODEL, the provider's cheapest model that fits
    keys: tuple[str, ...]  # any one of them enables the test
    duration: int  # the shortest the model makes
    resolution: str  # the lowest it makes
    budget: float  # the sweep's cap: a little above the take's table price


LIVE = {
    # 2 s at 12 credits/s: $0.24 (Runway reports what it charged)
    "runway": Live("runway:gen4.5", ("RUNWAYML_API_SECRET",), 2, "720p", 0.30),
    # 4 s at $0.15/s: $0.60
    "veo": Live(
        "veo:veo-3.1-fast-generate-001", ("GEMINI_API_KEY", "GOOGLE_API_KEY"), 4, "720p", 0.70
    ),
    # 5 s at 540p: $0.40 (ray-2's price, the worst case for flash)
    "luma": Live("luma:ray-flash-2", ("LUMAAI_API_KEY",), 5, "540p", 0.50),
    # 5 s at 540p: $0.72 (the worst-case third-party figure in the table)
    "luma-agents": Live("luma-agents:ray-3.2", ("LUMA_AGENTS_API_KEY",), 5, "540p", 0.80),
    # one ~5 s clip: $0.02
    "fal": Live("fal:fal-ai/ltx-video", ("FAL_KEY",), 5, "480p", 0.05),
    # 5 s at $0.28/s: $1.40 (the only model listed)
    "replicate": Live(
        "replicate:kwaivgi/kling-v2.1-master", ("REPLICATE_API_TOKEN",), 5, "1080p", 1.50
    ),
    # 4 s at $0.10/s: $0.40, on a gateway
    "openai-videos": Live("openai-videos:sora-2", ("OPENAI_API_KEY",), 4, "720p", 0.50),
}


def skip_unless_ready(name: str, live: Live) -> None:
    if not any(get_secret(k) for k in live.keys):
        pytest.skip(f"{' or '.join(live.keys)} is not set: no live {name} take")
    if name == "openai-videos":
        # OpenAI retired the Videos API on 2026-09-24: only a compatible gateway serves it.
        host = (urlsplit(get_secret("OPENAI_BASE_URL") or "").hostname or "").lower()
        if not host or host == "openai.com" or host.endswith(".openai.com"):
            pytest.skip("OPENAI_BASE_URL must name a gateway serving /v1/videos (Sora retired)")


def project(tmp_path: Path, live: Live) -> Path:
    path = tmp_path / "live-smoke.yaml"
    path.write_text(
        f"""\
project: live-smoke
defaults:
  duration: {live.duration}
  aspect: "16:9"
  resolution: {live.resolution}
shots:
  - id: cup
    variants:
      - id: v1
        prompt: {PROMPT}
"""
    )
    return path


@pytest.mark.parametrize("name", list(LIVE))
def test_one_real_take_lands(name: str, tmp_path: Path) -> None:
    live = LIVE[name]
    skip_unless_ready(name, live)
    result = run_sweep(
        project(tmp_path, live),
        backends=[live.spec],
        budget_usd=live.budget,
        concurrency=1,
        progress=False,
    )
    (out,) = result.outcomes
    assert out.status == "done", f"{out.status}: {out.message}"
    take = Home.from_env().take_dir(out.take_id) / "take.mp4"
    assert out.path == str(take)
    assert media.check_decodes(take).duration_s > 0
    assert 0 < out.cost_usd <= live.budget
    record = Journal(Home.from_env().journal).get(out.take_id)
    assert record is not None and record.job_id
    print(f"{live.spec}: {take} (${out.cost_usd:.2f}, job {record.job_id})")
