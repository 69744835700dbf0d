"""CloudTrail on the local target: every API call recorded, looked up, delivered and signed.

moto keeps trails (settings, selectors, logging status) but records no event. This package makes
the trail real, through CloudTrail's own contracts (see each module's docstring):

- ``operations``: which API call a request is (eventSource, eventName, requestParameters);
- ``identity``: the caller's ``userIdentity`` from the SigV4 access key;
- ``records``: the recorder (WSGI middleware around the front router) and the event history;
- ``selectors``: which trails log an event (regions, event selectors, advanced event selectors);
- ``lookup``: LookupEvents over the event history;
- ``delivery``: log files and digest files in each logging trail's bucket, CloudWatch Logs;
- ``signing``: the digest signing keys and ListPublicKeys.

``install(router)`` is the one call the emulator's server makes (after every other application is
in place, so the recorder sees every answer); the ``cloudtrail_events`` fidelity fix turns it on.
"""

from __future__ import annotations

from typing import Any

_enabled = False
_installed = False


def enable() -> None:
    """Called by the ``cloudtrail_events`` fix: record and deliver from now on."""
    global _enabled
    from . import delivery, records

    records.add_sink(delivery.DELIVERY.enqueue)
    _enabled = True


def install(router: Any) -> None:
    """Wrap ``router`` in the recorder and stop delivery (after a last flush) at exit."""
    global _installed
    if not _enabled:
        return
    import atexit

    from . import delivery, records

    router.wrap(records.Recorder)
    if not _installed:
        atexit.register(delivery.DELIVERY.close)
        _installed = True
