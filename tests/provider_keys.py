"""What the key-leak tests share: the providers' key variables, an environment with none
of them (nor a stray .env or settings file), a one-shot project, and finding a key in files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

KEY_VARS = (
    "RUNWAYML_API_SECRET",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "LUMAAI_API_KEY",
    "LUMA_AGENTS_API_KEY",
    "FAL_KEY",
    "REPLICATE_API_TOKEN",
    "OPENAI_API_KEY",
)
WALK_PROMPT = (
    "A woman in a red raincoat walks toward the camera at night, neon light flickering on,"
    " slow dolly back"
)


def no_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *more: str) -> None:
    """No provider key in the environment (nor the `more` variables), no `.env` in the
    working directory and no settings file: only what the test sets can be found."""
    monkeypatch.chdir(tmp_path)
    for name in (*KEY_VARS, *more):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAKELAB_SETTINGS", str(tmp_path / "no-settings.env"))
    monkeypatch.setenv("TAKELAB_POLL_INTERVAL_S", "0.01")


def walk_project(folder: Path, project: str, variants: list[tuple[int, str]] | None = None) -> Path:
    """`<folder>/<project>.yaml`: one shot, one variant per (duration, resolution); by
    default one 4 s 720p variant."""
    lines = [f"project: {project}", "defaults:", '  aspect: "16:9"', "shots:", "  - id: walk"]
    lines.append("    variants:")
    for n, (duration, resolution) in enumerate(variants or [(4, "720p")], start=1):
        lines += [
            f"      - id: v{n}",
            f"        prompt: {WALK_PROMPT}",
            f"        duration: {duration}",
            f"        resolution: {resolution}",
        ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{project}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def files_holding(root: Path, *keys: str) -> list[str]:
    """`path: key...` for each file under `root` (links left out) that holds a key."""
    raw = [k.encode() for k in keys]
    return [
        f"{p}: {k[:14].decode()}..."
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
        for k in raw
        if k in p.read_bytes()
    ]
