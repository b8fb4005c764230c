"""`make demo`'s sweep of the example project: every take decodes as asked."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT
from takelab.media import io as media
from takelab.project.model import frame_size, load_project
from takelab.sweep.run import run_sweep

DEMO = ROOT / "prompts" / "tokyo-rain.yaml"


def test_demo_project_sweep_makes_takes_of_the_requested_duration_and_size() -> None:
    project = load_project(DEMO)
    result = run_sweep(DEMO, seeds=2, progress=False)
    assert result.metrics["takes_total"] >= 8
    assert result.metrics["takes_new"] == result.metrics["takes_total"], result.summary
    for o in result.outcomes:
        variant = project.shot(o.shot).variant(o.variant)
        settings = variant.resolved(project.defaults)
        assert o.path is not None
        info = media.check_decodes(Path(o.path))
        assert abs(info.duration_s - float(settings.duration or 0)) <= 1 / info.fps + 1e-6
        assert (info.width, info.height) == frame_size(
            settings.aspect or "16:9", settings.resolution or "720p"
        )
        assert info.codec == "h264" and info.pix_fmt == "yuv420p"
