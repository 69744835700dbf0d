"""moto's per-request lookups, answered without the work moto repeats on every request.

Two questions moto 5.2.5 answers anew for each request, whose answers depend only on their inputs:

- which backend serves a host (``DomainDispatcherApplication.get_backend_for_host``): a listing of
  moto's package folder (a ``stat`` per entry) and a scan of every service's URL patterns, under
  the dispatcher's lock. The installed package and its URL index do not change while the process
  runs, so ``dispatcher()`` keeps the answer per host (a host no backend serves is asked again).
- whether the action is a method of the response class (``BaseResponse.call_action`` asks for
  ``method_names_from_class(cls)``: ``inspect.getmembers`` over the whole class, a ``getattr`` and
  an ``isinstance`` per member, ~1 ms, a sixth of a typical call). ``FunctionNames`` is the same
  list, but ``in`` looks the one name up through the class's MRO instead of building the list, so
  it answers exactly as the list would, and a method added to a class later (the fidelity fixes
  add handlers) is seen at once: nothing is cached.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .errors import EmulatorError


class FunctionNames(Sequence[str]):
    """The names of a class's functions (``method_names_from_class``), built only when iterated."""

    __slots__ = ("_cls", "_names")

    def __init__(self, cls: type) -> None:
        self._cls = cls
        self._names: list[str] | None = None

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not any(name in klass.__dict__ for klass in self._cls.__mro__):
            return False  # getmembers lists only what dir(cls) lists: the MRO's own names
        try:
            return inspect.isfunction(getattr(self._cls, name))
        except AttributeError:
            return False

    def _list(self) -> list[str]:
        if self._names is None:
            self._names = [name for name, _ in inspect.getmembers(self._cls, predicate=inspect.isfunction)]
        return self._names

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._list())

    def __iter__(self) -> Iterator[str]:
        return iter(self._list())


def function_names(clazz: Any) -> FunctionNames:
    return FunctionNames(clazz)


def install() -> None:
    """Answer ``call_action``'s method lookup by name (idempotent)."""
    from moto.core import responses, utils

    current = getattr(responses, "method_names_from_class", None)
    if current is function_names:
        return
    if current is not utils.method_names_from_class:
        raise EmulatorError(
            "moto.core.responses.method_names_from_class is not moto 5.2.5's: the emulator's lookup "
            "shortcut no longer fits this moto",
            hint="check harness/emulator/lookups.py against the installed moto",
        )
    responses.method_names_from_class = function_names


def dispatcher(create_app: Callable[..., Any]) -> Any:
    """moto's dispatcher, remembering which backend serves a host."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class Dispatcher(DomainDispatcherApplication):
        def __init__(self, create: Callable[..., Any]) -> None:
            super().__init__(create)
            self._backend_for_host: dict[str, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            backend = self._backend_for_host.get(host)
            if backend is None:
                backend = super().get_backend_for_host(host)
                if backend is not None:
                    self._backend_for_host[host] = backend
            return backend

    return Dispatcher(create_app)
