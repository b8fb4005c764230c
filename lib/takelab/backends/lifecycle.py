"""A model's lifecycle as it decides a take: a retired model is refused before anything is
sent, naming its replacement; a deprecated one is allowed with a warning that gives its
shutdown date (the dates are in the model table, `models.py`); and that table as
`takelab backends` prints it.
"""

from __future__ import annotations

import logging
from typing import Any

from takelab.backends._base import feature_words
from takelab.backends.models import MODELS, Features, Status, model_info
from takelab.backends.prices import UNPRICED, find_price
from takelab.errors import ModelRetiredError as ModelRetiredError  # defined with every error

log = logging.getLogger(__name__)


def check_lifecycle(backend: str, model: str, *, allow_retired: bool = False) -> None:
    """Refuse a retired model (naming the replacement); warn about a deprecated one."""
    info = model_info(backend, model)
    if info is None:
        return
    if info.status is Status.RETIRED and not allow_retired:
        raise ModelRetiredError(info)
    if info.status is Status.DEPRECATED:
        log.warning(
            "%s is deprecated and shuts down on %s%s",
            info.spec,
            info.shutdown or "a date not announced",
            f"; move to {info.replacement}" if info.replacement else "",
        )


def model_rows() -> list[dict[str, Any]]:
    """Every model with its status, dates, features as words and prices, for display."""
    rows = []
    for info in MODELS.values():
        price = find_price(info.backend, info.model)
        rows.append(
            {
                "backend": info.backend,
                "model": info.model,
                "status": str(info.status),
                "shutdown": info.shutdown,
                "replacement": info.replacement,
                "instead": info.instead,
                "usd_per_s": price.per_second(audio=False) if price else None,
                "usd_per_clip": price.usd_per_clip if price else None,
                "clip_s": price.clip_seconds if price else None,
                "usd_per_s_audio": price.per_second(audio=True)
                if price and info.features.audio
                else None,
                "can": _words(info.features),
                "source": info.source,
                "checked": info.date,
                "price_source": price.source if price else UNPRICED.get(info.key),
            }
        )
    return rows


def _words(f: Features) -> list[str]:
    return feature_words(f, roles=True) or ["silent"]


def models_that(backend_names: list[str], need: str) -> list[str]:
    """`backend:model` specs of listed, usable models that have feature `need` (an
    attribute of Features; for max_references, at least one)."""
    out = []
    for info in MODELS.values():
        if info.status is Status.RETIRED or info.backend not in backend_names:
            continue
        value = getattr(info.features, need)
        if value:
            out.append(info.spec)
    return out
