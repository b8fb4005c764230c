"""Backends: a registry of lazily imported adapters, named as NAME[:MODEL]."""

from takelab.backends._base import (
    Backend,
    Capabilities,
    JobState,
    JobStatus,
    TakeRequest,
)
from takelab.backends._registry import (
    available_backends,
    get_backend,
    parse_spec,
    register,
)

__all__ = [
    "Backend",
    "Capabilities",
    "JobState",
    "JobStatus",
    "TakeRequest",
    "available_backends",
    "get_backend",
    "parse_spec",
    "register",
]
