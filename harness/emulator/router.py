"""Front router of the emulator: one address, several WSGI applications.

Everything goes to moto unless a more specific application claimed the route with
:meth:`Router.mount`, e.g. the local SageMaker data-plane runtime for
``POST /endpoints/<name>/invocations``.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Predicate = Callable[[dict[str, Any]], bool]

HEALTH_PATH = "/_emulator/health"


@dataclass(frozen=True)
class Route:
    predicate: Predicate
    app: WSGIApp
    description: str


def path_predicate(pattern: str | re.Pattern[str], methods: Iterable[str] | None = None) -> Predicate:
    """A predicate that matches PATH_INFO against a regex (full match) and optionally the method."""
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    allowed = {m.upper() for m in methods} if methods else None

    def predicate(environ: dict[str, Any]) -> bool:
        if allowed is not None and environ.get("REQUEST_METHOD", "GET").upper() not in allowed:
            return False
        return regex.fullmatch(environ.get("PATH_INFO", "") or "/") is not None

    return predicate


class Router:
    """WSGI app: the first mounted route whose predicate matches wins, else the default app."""

    def __init__(self, default_app: WSGIApp) -> None:
        self._default = default_app
        self._routes: list[Route] = []
        self._lock = threading.Lock()
        self._outer: WSGIApp = self._dispatch

    def wrap(self, middleware: Callable[[WSGIApp], WSGIApp]) -> None:
        """Put WSGI middleware around everything the router serves on the werkzeug path.

        The last wrap is the outermost: the CloudTrail recorder wraps last so that it sees every
        answer, authorisation denials included. The fast path (``claimed``) is not wrapped.
        """
        self._outer = middleware(self._outer)

    def mount(
        self,
        match: str | re.Pattern[str] | Predicate,
        app: WSGIApp,
        *,
        methods: Iterable[str] | None = None,
        description: str = "",
    ) -> Route:
        """Claim requests for ``app``.

        ``match`` is either a regex over PATH_INFO (full match) or a callable taking the WSGI
        environ. ``methods`` restricts a regex route to some HTTP methods. Later mounts are tried
        first, so a specific route can be mounted over a general one.
        """
        if callable(match) and not isinstance(match, re.Pattern):
            predicate: Predicate = match
            if methods:
                allowed = {m.upper() for m in methods}
                inner = match

                def predicate(environ: dict[str, Any]) -> bool:
                    return environ.get("REQUEST_METHOD", "GET").upper() in allowed and inner(environ)
        else:
            predicate = path_predicate(match, methods)
        route = Route(predicate, app, description or repr(match))
        with self._lock:
            self._routes = [route, *self._routes]
        return route

    def unmount(self, route: Route) -> None:
        with self._lock:
            self._routes = [r for r in self._routes if r is not route]

    @property
    def routes(self) -> list[Route]:
        with self._lock:
            return list(self._routes)

    def resolve(self, environ: dict[str, Any]) -> WSGIApp:
        return self.claimed(environ) or self._default

    def claimed(self, environ: dict[str, Any]) -> WSGIApp | None:
        """The mounted application (or the health route) for this request; None: the default app's."""
        if environ.get("PATH_INFO") == HEALTH_PATH:
            return _health
        for route in self._routes:  # copy-on-write: mount/unmount replace the list, never mutate it
            if route.predicate(environ):
                return route.app
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self._outer(environ, start_response)

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.resolve(environ)(environ, start_response)


def _health(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = json.dumps({"status": "ok", "pid": os.getpid(), "scheme": environ.get("wsgi.url_scheme")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
