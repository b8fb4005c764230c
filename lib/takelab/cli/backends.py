"""`takelab backends`: every backend's capabilities and price, and every model's status."""

from __future__ import annotations

import json
from typing import Any

import click

from takelab.cli.main import main, out, table
from takelab.errors import TakelabError

# -- backends ----------------------------------------------------------------------------


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def backends(fmt: str) -> None:
    """Backends, their capabilities and prices, then every model's status and price."""
    from takelab.backends import available_backends, backend_class
    from takelab.backends.lifecycle import model_rows

    models = model_rows()

    rows: list[dict[str, Any]] = []
    for name in available_backends():
        try:
            cls = backend_class(name)
            instance = cls(None)
            caps = instance.capabilities()
        except TakelabError as exc:
            rows.append({"name": name, "error": str(exc)})
            continue
        rows.append(
            {
                "name": name,
                "default_model": cls.default_model,
                "models": list(cls.models),
                "durations": caps.describe_durations(),
                "aspects": list(caps.aspects),
                "resolutions": list(caps.resolutions),
                "seed": caps.seed,
                "image_input": caps.image_input,
                "audio": caps.audio,
                "can": caps.words(),
                "price": getattr(cls, "price_note", ""),
                "model_table": [m for m in models if m["backend"] == name],
            }
        )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    out.print(
        table(
            "backends",
            [
                "name",
                "default model",
                "durations",
                "aspects",
                "resolutions",
                "can (default model)",
                "price",
            ],
            [
                [
                    r["name"],
                    r.get("default_model", ""),
                    r.get("durations", r.get("error", "")),
                    " ".join(r.get("aspects", [])),
                    " ".join(r.get("resolutions", [])),
                    ", ".join(r.get("can", [])),
                    r.get("price", ""),
                ]
                for r in rows
            ],
        )
    )
    out.print(
        table(
            "models",
            ["model", "status", "$/s", "$/s with audio", "can", "checked"],
            [
                [
                    f"{m['backend']}:{m['model']}",
                    _lifecycle(m),
                    _rate(m["usd_per_s"], m["usd_per_clip"], m["clip_s"]),
                    _rate(m["usd_per_s_audio"]),
                    ", ".join(m["can"]),
                    m["checked"],
                ]
                for m in models
            ],
        )
    )


def _rate(value: float | None, clip: float | None = None, clip_s: float | None = None) -> str:
    """USD per second, or per clip (per N seconds) where the provider prices it so."""
    if value is not None:
        return f"{value:.3f}"
    if clip is not None:
        return f"{clip:.2f}/{clip_s:g} s" if clip_s else f"{clip:.2f}/clip"
    return "-"


def _lifecycle(row: dict[str, Any]) -> str:
    """`ga`, or `retired 2026-10-22 -> veo:veo-3.1-generate-001`."""
    text = str(row["status"])
    if row["shutdown"]:
        text += f" {row['shutdown']}"
    if row["replacement"]:
        text += f" -> {row['replacement']}"
    return text
