"""Security group rules keep their description whatever they reference
(fix ``ec2_security_group_rule_description``)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _groups(ec2: Any) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    first = ec2.create_security_group(GroupName=f"a-{uuid.uuid4().hex[:8]}", Description="a", VpcId=vpc)
    second = ec2.create_security_group(GroupName=f"b-{uuid.uuid4().hex[:8]}", Description="b", VpcId=vpc)
    return first["GroupId"], second["GroupId"]


def _rule(ec2: Any, rule_id: str) -> dict[str, Any]:
    (rule,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"]
    return rule


def test_rules_referencing_a_group_or_prefix_list_keep_description(aws: Callable[..., Any]) -> None:
    ec2 = aws("ec2")
    sg, other = _groups(ec2)
    prefix_list = ec2.create_managed_prefix_list(
        PrefixListName=f"pl-{uuid.uuid4().hex[:8]}", MaxEntries=2, AddressFamily="IPv4"
    )["PrefixList"]["PrefixListId"]

    ingress = ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "UserIdGroupPairs": [{"GroupId": other, "Description": "from the other group"}],
            }
        ],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    egress_group, egress_prefix, egress_cidr = (
        ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[permission])["SecurityGroupRules"][0][
            "SecurityGroupRuleId"
        ]
        for permission in (
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "UserIdGroupPairs": [{"GroupId": other, "Description": "to the other group"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": prefix_list, "Description": "to the prefix list"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "IpRanges": [{"CidrIp": "10.42.0.0/24", "Description": "to a subnet"}],
            },
        )
    )

    assert _rule(ec2, ingress)["Description"] == "from the other group"
    assert _rule(ec2, ingress)["ReferencedGroupInfo"]["GroupId"] == other
    assert _rule(ec2, egress_group)["Description"] == "to the other group"
    assert _rule(ec2, egress_prefix)["Description"] == "to the prefix list"
    assert _rule(ec2, egress_prefix)["PrefixListId"] == prefix_list
    assert _rule(ec2, egress_cidr)["Description"] == "to a subnet"

    (group,) = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"]
    https_out = next(p for p in group["IpPermissionsEgress"] if p.get("FromPort") == 443)
    assert https_out["PrefixListIds"] == [{"PrefixListId": prefix_list, "Description": "to the prefix list"}]
    assert https_out["UserIdGroupPairs"][0]["Description"] == "to the other group"

    # ModifySecurityGroupRules (Terraform's update) changes the description where it is kept.
    ec2.modify_security_group_rules(
        GroupId=sg,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": egress_group,
                "SecurityGroupRule": {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "ReferencedGroupId": other,
                    "Description": "changed",
                },
            },
            {
                "SecurityGroupRuleId": egress_prefix,
                "SecurityGroupRule": {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "PrefixListId": prefix_list,
                    "Description": "changed too",
                },
            },
        ],
    )
    assert _rule(ec2, egress_group)["Description"] == "changed"
    assert _rule(ec2, egress_prefix)["Description"] == "changed too"
    (group,) = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"]
    https_out = next(p for p in group["IpPermissionsEgress"] if p.get("FromPort") == 443)
    assert https_out["UserIdGroupPairs"][0]["Description"] == "changed"
    assert https_out["IpRanges"] == []

    ec2.revoke_security_group_egress(GroupId=sg, SecurityGroupRuleIds=[egress_group, egress_prefix])
    ec2.revoke_security_group_ingress(GroupId=sg, SecurityGroupRuleIds=[ingress])
    remaining = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])
    assert {r["SecurityGroupRuleId"] for r in remaining["SecurityGroupRules"]} >= {egress_cidr}
    assert not {ingress, egress_group, egress_prefix} & {
        r["SecurityGroupRuleId"] for r in remaining["SecurityGroupRules"]
    }


def test_concurrent_revokes_of_one_groups_rules_all_take_effect(aws: Callable[..., Any]) -> None:
    """Terraform destroys a group's rules in parallel: every revoke must succeed and stay revoked
    (fix ``ec2_security_group_rule_revoke``). A regression check: moto's lost update needs a thread
    switch inside a few bytecodes, so without the fix this passes almost always."""
    ec2 = aws("ec2")
    sg, other = _groups(ec2)
    rounds, per_direction = 6, 8
    for round_ in range(rounds):
        rules: list[tuple[str, str]] = []
        for direction in ("ingress", "egress"):
            authorize = getattr(ec2, f"authorize_security_group_{direction}")
            for port in range(1000 + round_ * 100, 1000 + round_ * 100 + per_direction):
                permission = {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "UserIdGroupPairs": [{"GroupId": other, "Description": f"rule {port}"}],
                }
                created = authorize(GroupId=sg, IpPermissions=[permission])["SecurityGroupRules"]
                rules.append((direction, created[0]["SecurityGroupRuleId"]))

        barrier = threading.Barrier(len(rules))

        def revoke(rule: tuple[str, str], barrier: threading.Barrier = barrier) -> None:
            direction, rule_id = rule
            barrier.wait(timeout=30)
            getattr(ec2, f"revoke_security_group_{direction}")(GroupId=sg, SecurityGroupRuleIds=[rule_id])

        with ThreadPoolExecutor(max_workers=len(rules)) as pool:
            failures = [f.exception() for f in [pool.submit(revoke, rule) for rule in rules] if f.exception()]
        assert failures == [], f"round {round_}: {failures}"
        left = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])
        assert not {rule_id for _, rule_id in rules} & {
            r["SecurityGroupRuleId"] for r in left["SecurityGroupRules"]
        }


def test_revoke_of_an_unknown_rule_id_is_rule_id_not_found(aws: Callable[..., Any]) -> None:
    """AWS: InvalidSecurityGroupRuleId.NotFound, nothing revoked (fix ``ec2_security_group_rule_revoke``)."""
    ec2 = aws("ec2")
    sg, other = _groups(ec2)
    permission = {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "UserIdGroupPairs": [{"GroupId": other}],
    }
    kept = ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[permission])["SecurityGroupRules"][
        0
    ]["SecurityGroupRuleId"]
    for direction in ("egress", "ingress"):
        with pytest.raises(ClientError) as error:
            getattr(ec2, f"revoke_security_group_{direction}")(
                GroupId=sg, SecurityGroupRuleIds=[kept, "sgr-0123456789abcdef0"]
            )
        assert error.value.response["Error"]["Code"] == "InvalidSecurityGroupRuleId.NotFound"
    assert _rule(ec2, kept)["SecurityGroupRuleId"] == kept
