"""A model's lifecycle as it decides a take: a retired model is refused before anything is
sent, naming its replacement; a deprecated one is allowed with a warning that gives its
shutdown date (the dates are in the model table, `models.py`).
"""

from __future__ import annotations

import logging

from takelab.backends.models import ModelInfo, Status, model_info
from takelab.errors import UsageError

log = logging.getLogger(__name__)


class ModelRetiredError(UsageError):
    """A model the provider no longer serves, refused before anything is sent."""

    def __init__(self, info: ModelInfo) -> None:
        instead = (
            f"use {info.replacement} instead"
            if info.replacement
            else "the provider names no replacement; "
            + (info.instead or "pick another backend (`takelab backends`)")
        )
        super().__init__(
            f"{info.spec} was retired on {info.shutdown}: the provider no longer serves it",
            hint=instead,
        )
        self.info = info


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
