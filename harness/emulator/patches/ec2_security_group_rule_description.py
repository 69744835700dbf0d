"""Security group rules keep their description when they reference a group or a prefix list.

moto: a ``SecurityGroupRule``'s description is read from its CIDR range only, so
``DescribeSecurityGroupRules`` answers no ``Description`` for a rule whose source/destination is a
security group (``UserIdGroupPairs``) or a prefix list (``PrefixListIds``); for prefix lists the
description is not even stored, so ``DescribeSecurityGroups`` drops it too. ``ModifySecurityGroupRules``
writes a new description into the (empty) CIDR range of such a rule.
AWS: every rule keeps the description it was given, whatever it references, and returns it in both
calls. Terraform's ``aws_vpc_security_group_ingress_rule``/``egress_rule`` read it from
``DescribeSecurityGroupRules`` and would otherwise plan to set it again on every run.
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def apply() -> None:
    from moto.ec2.models.security_groups import (
        GroupedSecurityRuleView,
        SecurityGroup,
        SecurityGroupBackend,
        SecurityGroupRule,
    )

    def init_factory(original: Any) -> Any:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            prefix_list = kwargs.get("prefix_list_id")
            if prefix_list is None and len(args) >= 8:
                prefix_list = args[7]
            self.prefix_list_description = (prefix_list or {}).get("Description")

        return __init__

    replace(SecurityGroupRule, "__init__", init_factory)

    def description_factory(_original: Any) -> Any:
        def description(self: Any) -> str | None:
            if self.ip_range:
                return self.ip_range.get("Description")
            if self.source_group:
                return self.source_group.get("Description")
            return getattr(self, "prefix_list_description", None)

        return property(description)

    replace(SecurityGroupRule, "description", description_factory)

    def modify_factory(original: Any) -> Any:
        def modify_security_group_rules(self: Any, group_id: str, rules: dict[str, dict[str, Any]]) -> None:
            group = self.get_security_group_by_name_or_id(group_id)
            # Rules without a CIDR range: their description lives with the group pair / prefix list.
            referencing = {
                rule_id: rule
                for rule_id in rules
                if group is not None and (rule := group.get_rule(rule_id)) is not None and not rule.ip_range
            }
            original(self, group_id, rules)
            for rule in referencing.values():
                if "CidrIp" in rule.ip_range or "CidrIpv6" in rule.ip_range:
                    continue  # turned into a CIDR rule
                description = rule.ip_range.pop("Description", None)
                if description is None:
                    continue
                if rule.source_group:
                    rule.source_group["Description"] = description
                else:
                    rule.prefix_list_description = description

        return modify_security_group_rules

    replace(SecurityGroupBackend, "modify_security_group_rules", modify_factory)

    def flattened_factory(_original: Any) -> Any:
        def _flattened_rules(self: Any, rules: list[Any]) -> list[Any]:
            views: list[Any] = []
            for rule in rules:
                view = next(
                    (
                        v
                        for v in views
                        if v.from_port == rule.from_port
                        and v.to_port == rule.to_port
                        and v.ip_protocol == rule.ip_protocol
                    ),
                    None,
                )
                if view is None:
                    view = GroupedSecurityRuleView(rule.from_port, rule.to_port, rule.ip_protocol)
                    views.append(view)
                if rule.ip_range:
                    view.all_ip_ranges.append(rule.ip_range)
                if rule.source_group:
                    view.source_groups.append(rule.source_group)
                if rule.prefix_list_id:
                    entry = {"PrefixListId": rule.prefix_list_id}
                    description = getattr(rule, "prefix_list_description", None)
                    if description is not None:
                        entry["Description"] = description
                    view.prefix_list_ids.append(entry)
            return views

        return _flattened_rules

    replace(SecurityGroup, "_flattened_rules", flattened_factory)
