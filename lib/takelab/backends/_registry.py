"""Backends register by name on a lazy factory, so a provider SDK is imported only when used.

Third parties add one through the `takelab.backends` entry point group (the entry point
loads a Backend subclass or a factory returning one) or, without packaging, through
TAKELAB_BACKENDS="name=module:attr,...".
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from takelab.backends._base import Backend
from takelab.errors import BackendError, UsageError
from takelab.settings import settings

Factory = Callable[[], type[Backend]]
_FACTORIES: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    """Register a factory that imports and returns a Backend class."""

    def deco(factory: Factory) -> Factory:
        _FACTORIES[name] = factory
        return factory

    return deco


def _load_target(target: str, name: str) -> type[Backend]:
    module_name, _, attr = target.partition(":")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise BackendError(name, f"cannot load {target}: {exc}") from exc
    if isinstance(obj, type) and issubclass(obj, Backend):
        return obj
    cls = obj()
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendError(name, f"{target} does not give a Backend subclass")
    return cls


# The built-in backends: name -> where their class lives, imported only when asked for.
BUILT_IN = {
    "previz": "takelab.backends.previz:PrevizBackend",
    "runway": "takelab.backends.runway:RunwayBackend",
    "veo": "takelab.backends.veo:VeoBackend",
    "luma": "takelab.backends.luma:LumaBackend",
    "luma-agents": "takelab.backends.luma_agents:LumaAgentsBackend",
    "fal": "takelab.backends.fal:FalBackend",
    "replicate": "takelab.backends.replicate:ReplicateBackend",
    "openai-videos": "takelab.backends.openai_videos:OpenAIVideosBackend",
    "diffusers": "takelab.backends.local_diffusers:DiffusersBackend",
}
_FACTORIES.update(
    {name: functools.partial(_load_target, target, name) for name, target in BUILT_IN.items()}
)


@functools.lru_cache(maxsize=1)
def _entry_points() -> tuple[tuple[str, str], ...]:
    """(name, target) of the `takelab.backends` entry points, read once per process: the
    scan reads every installed distribution's metadata (25 ms here), and it runs each time
    a key is scrubbed from an error's text."""
    return tuple((ep.name, ep.value) for ep in entry_points(group="takelab.backends"))


def _external() -> dict[str, Factory]:
    found: dict[str, Factory] = {}
    for ep_name, ep_value in _entry_points():
        found[ep_name] = functools.partial(_load_target, ep_value, ep_name)
    for item in filter(None, settings().backends.split(",")):
        name, sep, target = item.strip().partition("=")
        if sep:
            found[name] = functools.partial(_load_target, target, name)
    return found


def _factories() -> dict[str, Factory]:
    return {**_external(), **_FACTORIES}


def available_backends() -> list[str]:
    """Names of every backend that can be asked for."""
    return sorted(_factories())


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split `NAME[:MODEL]`; the model may itself contain colons or slashes."""
    spec = spec.strip()
    name, sep, model = spec.partition(":")
    if not name:
        raise UsageError(f"empty backend name in {spec!r}", hint="write NAME[:MODEL], e.g. previz")
    return name, (model or None) if sep else None


def backend_class(name: str) -> type[Backend]:
    """The Backend class registered under `name` (imports its module)."""
    factories = _factories()
    if name not in factories:
        raise UsageError(
            f"unknown backend {name!r}",
            hint=f"choose one of: {', '.join(sorted(factories))}",
        )
    return factories[name]()


def get_backend(spec: str) -> Backend:
    """A backend instance for `NAME[:MODEL]`; a retired model is refused here, before
    anything can be sent, and a deprecated one warns (the model table in `models.py`)."""
    from takelab.backends.lifecycle import check_lifecycle

    name, model = parse_spec(spec)
    cls = backend_class(name)
    if model and cls.models and model not in cls.models:
        raise UsageError(
            f"unknown model {model!r} for backend {name}",
            hint=f"choose one of: {', '.join(cls.models)}",
        )
    backend = cls(model)
    check_lifecycle(name, backend.model, allow_retired=backend.serves_retired())
    return backend


def key_env_names() -> tuple[str, ...]:
    """Every environment variable a registered backend reads an API key from (`key_env`
    and `fallback_key_env` of each class; no provider SDK is imported), for scrubbing."""
    names: list[str] = []
    for backend in available_backends():
        try:
            cls = backend_class(backend)
        except Exception:  # a broken third-party backend is reported when it is used
            continue
        for attr in ("key_env", "fallback_key_env"):
            value = getattr(cls, attr, None)
            if isinstance(value, str) and value:
                names.append(value)
    return tuple(dict.fromkeys(names))
