"""The stable ids of the lint rules (design.md, "Lint rules"), shared by the linter and
the project-file loader that checks a variant's `allow:` list."""

from __future__ import annotations

RULE_IDS: tuple[str, ...] = (
    "no-motion",
    "no-camera",
    "no-lighting",
    "no-duration",
    "legible-text",
    "crowded",
    "fast-motion",
    "occlusion",
    "hard-cut",
    "public-figure",
    "violence",
    "explicit",
    "too-long",
    "negative-phrasing",
    "camera-conflict",
    "dialogue-budget",
)

__all__ = ["RULE_IDS"]
