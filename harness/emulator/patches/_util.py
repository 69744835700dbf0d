"""Idempotent monkey patching for the fixes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MARK = "__harness_emulator_original__"


def replace(owner: Any, name: str, factory: Callable[[Any], Any]) -> None:
    """Set ``owner.name`` to ``factory(original)`` unless it is already patched (idempotent)."""
    own = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
    if own is not None and hasattr(_func(own), _MARK):
        return
    # The original may be inherited (e.g. from a mixin); the patch then shadows it on ``owner``.
    original = own if own is not None else getattr(owner, name, None)
    new = factory(original)
    setattr(_func(new), _MARK, original)
    setattr(owner, name, new)


def add(owner: Any, name: str, func: Any) -> None:
    """Add a missing attribute (e.g. a response handler moto lacks); no-op when ours is in place."""
    replace(owner, name, lambda _original: func)


def is_patched(owner: Any, name: str) -> bool:
    current = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
    return current is not None and hasattr(_func(current), _MARK)


def _func(obj: Any) -> Any:
    if isinstance(obj, property):
        return obj.fget
    return obj.__func__ if isinstance(obj, (classmethod, staticmethod)) else obj
