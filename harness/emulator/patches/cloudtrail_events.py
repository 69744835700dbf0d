"""CloudTrail records, looks up, delivers and signs the emulator's API calls.

moto: trails keep their settings, but no event is ever recorded: LookupEvents is not implemented,
nothing is delivered to the trail's bucket, no digest is written, ListPublicKeys is not implemented
(so ``aws cloudtrail validate-logs`` cannot run), GetTrailStatus invents a ``LatestDeliveryTime``
of "now" on every call, and PutEventSelectors keeps basic and advanced selectors side by side.
AWS: every API call is a management event in the event history (LookupEvents, 90 days); each
logging trail delivers the events its selectors ask for (S3 data events only where asked) as gzip
JSON log files under ``<prefix>/AWSLogs/<account>/CloudTrail/<region>/...`` with its KMS key, and,
with log file validation on, signed digest files that chain and hash the log files;
ListPublicKeys gives the verification keys; GetTrailStatus reports real delivery times and
errors; PutEventSelectors with one kind of selector removes the other.

The work is done by ``harness.emulator.cloudtrail`` (one module per concern); this fix wires it
into moto's CloudTrail and turns the recorder on.
"""

from __future__ import annotations

import json
from typing import Any

from ._util import add, replace


def apply() -> None:
    from moto.cloudtrail.models import Trail, TrailStatus
    from moto.cloudtrail.responses import CloudTrailResponse

    from .. import cloudtrail
    from ..cloudtrail import delivery, lookup, signing
    from ..cloudtrail.records import utc

    def lookup_events(self: Any) -> str:
        params = json.loads(self.body or "{}") if isinstance(self.body, (str, bytes)) else {}
        return json.dumps(lookup.lookup_events(self.current_account, self.region, params))

    add(CloudTrailResponse, "lookup_events", lookup_events)

    def list_public_keys(self: Any) -> str:
        params = json.loads(self.body or "{}") if isinstance(self.body, (str, bytes)) else {}
        keys = signing.public_keys(
            self.region, _number(params.get("StartTime")), _number(params.get("EndTime"))
        )
        return json.dumps({"PublicKeyList": keys})

    add(CloudTrailResponse, "list_public_keys", list_public_keys)

    def put_event_selectors_factory(_original: Any) -> Any:
        def put_event_selectors(self: Any, event_selectors: Any, advanced_event_selectors: Any) -> None:
            if event_selectors:
                self.event_selectors, self.advanced_event_selectors = event_selectors, []
            elif advanced_event_selectors:
                self.event_selectors, self.advanced_event_selectors = [], advanced_event_selectors

        return put_event_selectors

    replace(Trail, "put_event_selectors", put_event_selectors_factory)

    def stop_logging_factory(original: Any) -> Any:
        def stop_logging(self: Any) -> None:
            original(self)
            delivery.DELIVERY.reset(self.arn)

        return stop_logging

    replace(Trail, "stop_logging", stop_logging_factory)

    def description_factory(original: Any) -> Any:
        def description(self: Any) -> dict[str, Any]:
            desc = original(self)
            for fake in ("LatestDeliveryTime", "LatestDeliveryAttemptTime", "LatestDeliveryAttemptSucceeded"):
                desc.pop(fake, None)
            extra = getattr(self, "harness_delivery", None) or {}
            desc.update(extra)
            if "LatestDeliveryTime" in extra:
                desc["LatestDeliveryAttemptTime"] = utc(extra["LatestDeliveryTime"])
                desc["LatestDeliveryAttemptSucceeded"] = desc["LatestDeliveryAttemptTime"]
            return desc

        return description

    replace(TrailStatus, "description", description_factory)
    cloudtrail.enable()


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
