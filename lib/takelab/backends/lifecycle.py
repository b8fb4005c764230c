"""A model's lifecycle as it decides a take: a retired model is refused before anything is
sent, naming its replacement; a deprecated one is allowed with a warning that gives its
shutdown date (the dates are in the model table, `models.py`).
"""

from __future__ import annotations

import logging

from takelab.backends.models import Status, model_info
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
