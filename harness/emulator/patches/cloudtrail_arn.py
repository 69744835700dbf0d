"""CloudTrail: DeleteTrail accepts the trail ARN.

moto: DeleteTrail deletes only by name and silently succeeds for anything else, so with the
Terraform provider (which uses the trail ARN as the resource id) destroy "succeeds" and the trail
stays; a missing trail is not reported.
AWS: DeleteTrail takes a name or an ARN and raises TrailNotFoundException for an unknown trail;
the trail's tags go with it. (LookupEvents: see ``cloudtrail_events``.)
(GetTrail, GetTrailStatus, Start/StopLogging and the selector calls already resolve ARNs in moto.)
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def apply() -> None:
    from moto.cloudtrail.models import CloudTrailBackend, cloudtrail_backends

    def delete_trail_factory(_original: Any) -> Any:
        def delete_trail(self: Any, name: str) -> None:
            trail = self.get_trail(name)  # name or ARN; TrailNotFoundException when unknown
            # A multi-region trail may be addressed from another region's backend.
            for backend in cloudtrail_backends[self.account_id].values():
                if backend.trails.get(trail.trail_name) is trail:
                    del backend.trails[trail.trail_name]
                    backend.tagging_service.delete_all_tags_for_resource(trail.arn)

        return delete_trail

    replace(CloudTrailBackend, "delete_trail", delete_trail_factory)

    def get_trail_factory(original: Any) -> Any:
        def get_trail(self: Any, name_or_arn: str) -> Any:
            try:
                return original(self, name_or_arn)
            except Exception:
                if not name_or_arn.startswith("arn:"):
                    raise
                # A multi-region trail created in another region, addressed by ARN.
                for trail in self.describe_trails(include_shadow_trails=True):
                    if trail.arn == name_or_arn:
                        return trail
                raise

        return get_trail

    replace(CloudTrailBackend, "get_trail", get_trail_factory)
