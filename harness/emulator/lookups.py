"""moto's work, done once and only when needed: per-request lookups, model loading, KMS key material.

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

Two kinds of work done more often than needed, or before it is:

- API models. botocore gives every ``Session`` a ``Loader`` of its own, and moto makes a new one each
  time it loads a model, so the same ``service-2.json`` was parsed once per session: at start-up
  moto's EC2 region list parses EC2's model and ``endpoints.json`` three times (0.3 of 1.2 CPU-s),
  and each service's model was parsed again by moto's session, moto's request parser and the
  CloudTrail recorder (a quarter of a cold apply's CPU, with a scan of every service's folder per
  moto load). ``share_loaders`` makes ``create_loader`` return one loader per search path (botocore's
  for every session, moto's with its extras), each caching what it parsed, as a single session's
  loader always has. The files do not change while the process runs; models stay separate where
  their search paths differ (moto's extras never reach botocore's models).
- KMS key material. moto generates a private key for every key it creates, an RSA-2048 one for a
  symmetric key (~0.1 CPU-s each, a quarter of a cold apply's CPU), though only Sign, Verify and
  GetPublicKey use it. ``DeferredPrivateKey`` generates it with moto's own function on first use,
  once (a replica, moto's shallow copy, shares it, as before); no key spec makes that function fail,
  so CreateKey answers as it did.
"""

from __future__ import annotations

import functools
import inspect
import threading
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
    """Answer ``call_action``'s method lookup by name, share model loaders, defer KMS keys (idempotent)."""
    from moto.core import responses, utils

    share_loaders()
    defer_kms_key_material()

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


def _shared(create: Callable[..., Any]) -> Callable[..., Any]:
    shared = functools.lru_cache(maxsize=None)(create)
    shared.harness_shared = True  # type: ignore[attr-defined]
    return shared


def share_loaders() -> None:
    """One model loader per search path for botocore's sessions and for moto (idempotent)."""
    import botocore.session
    from moto.core import loaders, utils

    if not getattr(botocore.session.create_loader, "harness_shared", False):
        botocore.session.create_loader = _shared(botocore.session.create_loader)
    if not getattr(utils.create_loader, "harness_shared", False):
        if utils.create_loader is not loaders.create_loader:
            raise EmulatorError(
                "moto.core.utils.create_loader is not moto 5.2.5's: the emulator's shared model "
                "loader no longer fits this moto",
                hint="check harness/emulator/lookups.py against the installed moto",
            )
        utils.create_loader = _shared(utils.create_loader)


class DeferredPrivateKey:
    """moto's private key for a KMS key, generated by moto's function on first use, once."""

    __slots__ = ("_generate", "_key", "_lock", "key_spec")

    def __init__(self, key_spec: str, generate: Callable[[str], Any]) -> None:
        self.key_spec = key_spec
        self._generate = generate
        self._key: Any = None
        self._lock = threading.Lock()

    @property
    def generated(self) -> bool:
        return self._key is not None

    def resolve(self) -> Any:
        """moto's ``AbstractPrivateKey`` for this key spec (the same object on every call)."""
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = self._generate(self.key_spec)
        return self._key

    def __getattr__(self, name: str) -> Any:  # sign, verify, public_key, private_key, key_size
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.resolve(), name)


def defer_kms_key_material() -> None:
    """moto's KMS keys get their private key on first use (idempotent)."""
    from moto.kms import models, utils

    current = models.generate_private_key
    if getattr(current, "harness_deferred", False):
        return
    if current is not utils.generate_private_key:
        raise EmulatorError(
            "moto.kms.models.generate_private_key is not moto 5.2.5's: the emulator's deferred KMS "
            "key material no longer fits this moto",
            hint="check harness/emulator/lookups.py against the installed moto",
        )

    def deferred(key_spec: str) -> DeferredPrivateKey:
        return DeferredPrivateKey(key_spec, current)

    deferred.harness_deferred = True  # type: ignore[attr-defined]
    models.generate_private_key = deferred
