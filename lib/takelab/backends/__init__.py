"""Backends: a registry of lazily imported adapters, named as NAME[:MODEL].

The public names live here; callers outside this package import them from
`takelab.backends`, never from its private modules.
"""

from takelab.backends._base import (
    Backend,
    Capabilities,
    JobState,
    JobStatus,
    TakeRequest,
)
from takelab.backends._provider import ProviderBackend, endpoint_notices
from takelab.backends._registry import (
    available_backends,
    backend_class,
    get_backend,
    key_env_names,
    parse_spec,
    register,
)
from takelab.backends._retry import is_gone

__all__ = [
    "Backend",
    "Capabilities",
    "JobState",
    "JobStatus",
    "ProviderBackend",
    "TakeRequest",
    "available_backends",
    "backend_class",
    "endpoint_notices",
    "get_backend",
    "is_gone",
    "key_env_names",
    "parse_spec",
    "register",
]
