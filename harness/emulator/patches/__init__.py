"""Fidelity fixes for moto, applied in-process by the emulator before it serves.

Each module fixes one place where moto's behaviour would hide or fake one of the platform's
controls; each has an idempotent ``apply()`` and a test under ``tests/emulator``.
"""

from __future__ import annotations

import importlib
import threading

# module name -> one-line description (the README lists these)
FIXES: dict[str, str] = {}

_lock = threading.Lock()
_applied = False


def apply_all() -> None:
    """Apply every fix (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        for name in FIXES:
            importlib.import_module(f"{__name__}.{name}").apply()
        _applied = True
