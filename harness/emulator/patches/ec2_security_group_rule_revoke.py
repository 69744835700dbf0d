"""Concurrent changes to one security group's rules all take effect; unknown rule ids fail as on AWS.

moto: ``RevokeSecurityGroupIngress``/``Egress`` read the group's rule list, then assign a filtered copy
of it, while ``Authorize*`` append to it. In the threaded emulator two calls on one group at the same
time (Terraform destroys or creates a group's rules in parallel) can lose each other's change: a
revoked rule comes back, an added rule vanishes, and a later revoke of a rule that was never touched
fails. A revoke by ``SecurityGroupRuleIds`` naming an id the group does not have answers
``InvalidPermission.NotFound``.
AWS: every call is applied atomically and none is lost. A revoke by ``SecurityGroupRuleIds`` with an
id that is not one of the group's rules in that direction fails as a whole with
``InvalidSecurityGroupRuleId.NotFound`` (the code the AWS provider reads as "already deleted";
``InvalidPermission.NotFound`` stays the answer for ``IpPermissions`` that match no rule). So a revoke
the SDK retries after its first attempt already took effect is, as on AWS, read as done.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

from ._util import replace

# One lock for every change to any group's rule lists: the calls are short, and a rule may
# reference another group, so a per-group lock would buy nothing worth its bookkeeping.
_rules_lock = threading.RLock()


def apply() -> None:
    from moto.ec2.exceptions import InvalidSecurityGroupRuleIdNotFoundError
    from moto.ec2.models.security_groups import SecurityGroupBackend

    def serialised(original: Any) -> Any:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _rules_lock:
                return original(self, *args, **kwargs)

        return call

    for name in ("authorize_security_group_ingress", "authorize_security_group_egress"):
        replace(SecurityGroupBackend, name, serialised)

    def revoke_factory(egress: bool) -> Any:
        def factory(original: Any) -> Any:
            signature = inspect.signature(original)

            def revoke(self: Any, *args: Any, **kwargs: Any) -> Any:
                arguments = signature.bind(self, *args, **kwargs).arguments
                rule_ids = arguments.get("security_rule_ids") or []
                with _rules_lock:
                    group = self.get_security_group_by_name_or_id(
                        arguments.get("group_name_or_id"), arguments.get("vpc_id")
                    )
                    if group is not None and rule_ids:
                        known = {rule.id for rule in (group.egress_rules if egress else group.ingress_rules)}
                        unknown = [rule_id for rule_id in rule_ids if rule_id not in known]
                        if unknown:
                            raise InvalidSecurityGroupRuleIdNotFoundError(unknown[0])
                    return original(self, *args, **kwargs)

            return revoke

        return factory

    replace(SecurityGroupBackend, "revoke_security_group_ingress", revoke_factory(egress=False))
    replace(SecurityGroupBackend, "revoke_security_group_egress", revoke_factory(egress=True))
