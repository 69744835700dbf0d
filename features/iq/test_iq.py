"""Installation qualification: the platform is installed as specified.

Steps read the live resources through boto3 (names from the Terraform outputs only locate them) and
attach what they compared. Topics follow the feature files: KMS, S3, IAM, network, logging, SageMaker,
tools.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import botocore.exceptions
from pytest_bdd import given, parsers, scenarios, then

from features.iq.security import *  # noqa: F403 - the security scenarios' steps (security.feature)
from features.support import (
    Clients,
    as_list,
    policy_statements,
    principal_is_wildcard,
    threshold,
    trim,
)
from harness.provisioning import Platform

scenarios(".")

REPO = Path(__file__).resolve().parents[2]
ROTATION_ACTIONS = {"kms:DisableKeyRotation", "kms:*", "*"}


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


# ================================================================================================ KMS


@then("the key is enabled")
def key_enabled(kms_key: dict[str, Any], evidence: Any) -> None:
    meta = kms_key["metadata"]
    evidence.attach("DescribeKey", meta)
    assert meta["Enabled"] is True and meta["KeyState"] == "Enabled", meta["KeyState"]


@then("the key is customer-managed")
def key_customer_managed(kms_key: dict[str, Any], evidence: Any) -> None:
    meta = kms_key["metadata"]
    evidence.attach("KeyManager", {"KeyId": meta["KeyId"], "KeyManager": meta["KeyManager"]})
    assert meta["KeyManager"] == "CUSTOMER"


@then("the key is a symmetric encryption key")
def key_symmetric(kms_key: dict[str, Any], evidence: Any) -> None:
    meta = kms_key["metadata"]
    shown = {k: meta.get(k) for k in ("KeyId", "KeySpec", "KeyUsage", "Origin")}
    evidence.attach("KeySpec", shown)
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT", shown
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT", shown


@then("the key is an asymmetric RSA key for signing and verification")
def key_asymmetric_signing(kms_key: dict[str, Any], evidence: Any) -> None:
    meta = kms_key["metadata"]
    shown = {k: meta.get(k) for k in ("KeyId", "KeySpec", "KeyUsage", "SigningAlgorithms")}
    evidence.attach("KeySpec", shown)
    assert meta["KeySpec"].startswith("RSA_"), shown
    assert meta["KeyUsage"] == "SIGN_VERIFY", shown
    assert meta.get("SigningAlgorithms"), shown


@then("key rotation is enabled")
def rotation_enabled(kms_key: dict[str, Any], aws: Clients, evidence: Any) -> None:
    status = aws("kms").get_key_rotation_status(KeyId=kms_key["arn"])
    evidence.attach("GetKeyRotationStatus", trim(status))
    assert status["KeyRotationEnabled"] is True


@then("the key has a key policy", target_fixture="key_policy")
def key_has_policy(kms_key: dict[str, Any], aws: Clients, evidence: Any) -> list[dict[str, Any]]:
    names = aws("kms").list_key_policies(KeyId=kms_key["arn"])["PolicyNames"]
    policy = aws("kms").get_key_policy(KeyId=kms_key["arn"], PolicyName="default")["Policy"]
    statements = policy_statements(policy)
    evidence.attach("GetKeyPolicy", {"PolicyNames": names, "Policy": json.loads(policy)})
    assert "default" in names
    assert statements, "the key policy has no statements"
    return statements


@then("no statement of the key policy allows a wildcard principal")
def key_policy_no_star(key_policy: list[dict[str, Any]], evidence: Any) -> None:
    offending = [
        st for st in key_policy if st.get("Effect") == "Allow" and principal_is_wildcard(st.get("Principal"))
    ]
    evidence.attach("AllowStatementsWithWildcardPrincipal", offending)
    assert not offending


@then("no statement of the key policy allows turning key rotation off")
def key_policy_no_rotation_off(key_policy: list[dict[str, Any]], evidence: Any) -> None:
    offending = [
        st
        for st in key_policy
        if st.get("Effect") == "Allow" and ROTATION_ACTIONS & set(as_list(st.get("Action")))
    ]
    evidence.attach("AllowStatementsThatCanDisableRotation", offending)
    assert not offending


# ================================================================================================= S3


@then(parsers.parse("default encryption is SSE-KMS with the KMS key for {purpose}"))
def bucket_sse_kms(
    bucket: str,
    purpose: str,
    aws: Clients,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    config = aws("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    evidence.attach("GetBucketEncryption", config)
    rules = config["Rules"]
    assert rules, "no default encryption rule"
    for rule in rules:
        default = rule["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms", default
        evidence.attach("KeyCompared", key_matches(default.get("KMSMasterKeyID"), key_arn_for(purpose)))


@then("default encryption is SSE-S3 with AES256")
def bucket_sse_s3(bucket: str, aws: Clients, evidence: Any) -> None:
    config = aws("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    evidence.attach("GetBucketEncryption", config)
    assert config["Rules"], "no default encryption rule"
    for rule in config["Rules"]:
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", rule


@then("all four public access block settings are on")
def bucket_public_access_blocked(bucket: str, aws: Clients, evidence: Any) -> None:
    config = aws("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    evidence.attach("GetPublicAccessBlock", config)
    for setting in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"):
        assert config.get(setting) is True, f"{setting} is {config.get(setting)}"


def _denies_insecure_transport(statement: dict[str, Any], bucket: str) -> bool:
    condition = statement.get("Condition", {}).get("Bool", {})
    arn = f"arn:aws:s3:::{bucket}"
    resources = {re.sub(r"^arn:[^:]+:", "arn:aws:", r) for r in as_list(statement.get("Resource"))}
    return (
        statement.get("Effect") == "Deny"
        and principal_is_wildcard(statement.get("Principal"))
        and {"s3:*"} <= set(as_list(statement.get("Action")))
        and {arn, f"{arn}/*"} <= resources
        and [str(v).lower() for v in as_list(condition.get("aws:SecureTransport"))] == ["false"]
    )


@then("the bucket policy denies every request to the bucket and its objects that is not sent over TLS")
def bucket_tls_only(bucket: str, aws: Clients, evidence: Any) -> None:
    policy = json.loads(aws("s3").get_bucket_policy(Bucket=bucket)["Policy"])
    evidence.attach("GetBucketPolicy", policy)
    matching = [st for st in policy_statements(policy) if _denies_insecure_transport(st, bucket)]
    evidence.attach("DenyInsecureTransportStatements", matching)
    assert matching, "no Deny of s3:* for anyone on the bucket and its objects when aws:SecureTransport=false"


@then("versioning is enabled")
def bucket_versioned(bucket: str, aws: Clients, evidence: Any) -> None:
    versioning = trim(aws("s3").get_bucket_versioning(Bucket=bucket))
    evidence.attach("GetBucketVersioning", versioning)
    assert versioning.get("Status") == "Enabled", versioning


@then("server access logs are delivered to the access log bucket")
def bucket_logged(bucket: str, outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    logging = trim(aws("s3").get_bucket_logging(Bucket=bucket))
    evidence.attach("GetBucketLogging", logging)
    enabled = logging.get("LoggingEnabled")
    assert enabled, "server access logging is off"
    assert enabled["TargetBucket"] == outputs["access_log_bucket"], enabled
    assert enabled["TargetBucket"] != bucket, "logs must go to a separate bucket"


@then("Object Lock is enabled")
def object_lock_enabled(bucket: str, aws: Clients, evidence: Any) -> None:
    config = aws("s3").get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    evidence.attach("GetObjectLockConfiguration", config)
    assert config.get("ObjectLockEnabled") == "Enabled", config


#: Object Lock modes from weaker to stronger: COMPLIANCE satisfies a GOVERNANCE criterion, not the reverse.
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


def environment_of(aws: Clients, bucket: str) -> str | None:
    """The environment a bucket belongs to, from its live ``Environment`` tag (not from configuration)."""
    try:
        tags = aws("s3").get_bucket_tagging(Bucket=bucket).get("TagSet", [])
    except botocore.exceptions.ClientError:
        return None
    return next((t["Value"] for t in tags if t["Key"] == "Environment"), None)


@then(
    "new object versions are retained by default in the mode and for the days the specification sets "
    "for the bucket's environment"
)
def object_lock_default_retention(bucket: str, aws: Clients, evidence: Any) -> None:
    config = aws("s3").get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    environment = environment_of(aws, bucket)
    mode = threshold("URS_025", "object_lock_mode", environment)
    days = int(threshold("URS_025", "min_retention_days", environment))
    retention = config.get("Rule", {}).get("DefaultRetention") or {}
    period = retention.get("Days") or 365 * (retention.get("Years") or 0)
    defaults = (threshold("URS_025", "object_lock_mode"), threshold("URS_025", "min_retention_days"))
    evidence.attach("GetObjectLockConfiguration", config)
    evidence.attach(
        "CriterionForEnvironment",
        {
            "environment_tag": environment,
            "required_mode": mode,
            "required_min_days": days,
            "default_criterion": {"mode": defaults[0], "min_days": defaults[1]},
            "differs_from_default": (mode, days) != defaults,
            "note": "the specification sets a different criterion for this environment"
            if (mode, days) != defaults
            else "the default criterion applies",
            "observed": {"mode": retention.get("Mode"), "days": period},
        },
    )
    assert retention, "no default retention rule"
    assert retention.get("Mode") in LOCK_MODES[LOCK_MODES.index(mode) :], (retention, mode)
    assert period >= days, (retention, days)


# ================================================================================================ IAM


def _role_documents(aws: Clients, role_name: str, evidence: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every permission policy of the role (inline and attached), as ``(name, document)``."""
    iam = aws("iam")
    documents: list[tuple[str, dict[str, Any]]] = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        documents.append((f"inline:{name}", json.loads(doc) if isinstance(doc, str) else doc))
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(
            PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
        )
        doc = version["PolicyVersion"]["Document"]
        documents.append((attached["PolicyArn"], json.loads(doc) if isinstance(doc, str) else doc))
    evidence.attach("RolePolicies", dict(documents))
    return documents


def _allow_statements(documents: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        {**st, "_policy": name}
        for name, doc in documents
        for st in policy_statements(doc)
        if st.get("Effect") == "Allow"
    ]


@given("the SageMaker execution role", target_fixture="role")
def execution_role(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    name = outputs["execution_role_arn"].rsplit("/", 1)[-1]
    return aws("iam").get_role(RoleName=name)["Role"]


@then(parsers.parse("the role can be assumed only by the service principal {service}"))
def role_trust(role: dict[str, Any], service: str, evidence: Any) -> None:
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    evidence.attach("AssumeRolePolicyDocument", trust)
    allows = [st for st in policy_statements(trust) if st.get("Effect") == "Allow"]
    assert allows, "nobody may assume the role"
    for st in allows:
        principal = st.get("Principal")
        assert isinstance(principal, dict) and set(principal) == {"Service"}, st
        assert as_list(principal["Service"]) == [service], st
        assert set(as_list(st.get("Action"))) <= {"sts:AssumeRole"}, st
        assert "NotPrincipal" not in st, st


@then("no policy of the role allows a wildcard action")
def role_no_wildcard_action(role: dict[str, Any], aws: Clients, evidence: Any) -> None:
    statements = _allow_statements(_role_documents(aws, role["RoleName"], evidence))
    offending = [
        st for st in statements if "NotAction" in st or any("*" in a for a in as_list(st.get("Action")))
    ]
    evidence.attach("StatementsWithWildcardActions", offending)
    assert statements, "the role has no permissions at all"
    assert not offending


@then("no AWS-managed FullAccess policy is attached to the role")
def role_no_full_access(role: dict[str, Any], aws: Clients, evidence: Any) -> None:
    attached = aws("iam").list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    evidence.attach("ListAttachedRolePolicies", attached)
    offending = [
        p for p in attached if ":iam::aws:policy/" in p["PolicyArn"] and "FullAccess" in p["PolicyName"]
    ]
    assert not offending, offending


@then('statements on the resource "*" allow only these actions, each under a condition:')
def role_star_resources(
    role: dict[str, Any], datatable: list[list[str]], aws: Clients, evidence: Any
) -> None:
    allowed = {row[0].strip() for row in datatable[1:]}
    statements = _allow_statements(_role_documents(aws, role["RoleName"], evidence))
    star = [st for st in statements if "NotResource" in st or "*" in as_list(st.get("Resource"))]
    evidence.attach("StatementsOnResourceStar", star)
    for st in star:
        assert "NotResource" not in st, st
        extra = set(as_list(st.get("Action"))) - allowed
        assert not extra, f"{st.get('Sid')}: {sorted(extra)} on resource '*' is not a documented exception"
        assert st.get("Condition"), f"{st.get('Sid')}: resource '*' without a condition"


@then("network interfaces may be managed only inside the platform VPC")
def role_eni_in_vpc(role: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    statements = _allow_statements(_role_documents(aws, role["RoleName"], evidence))
    eni = [st for st in statements if any(":network-interface/" in r for r in as_list(st.get("Resource")))]
    evidence.attach("NetworkInterfaceStatements", eni)
    for st in eni:
        vpcs = as_list(st.get("Condition", {}).get("ArnEquals", {}).get("ec2:Vpc"))
        assert vpcs and all(v.endswith(f":vpc/{outputs['vpc_id']}") for v in vpcs), st


@then("every S3 resource the role names is the data lake bucket or a prefix inside it")
def role_s3_scope(role: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    bucket = outputs["data_lake_bucket"]
    statements = _allow_statements(_role_documents(aws, role["RoleName"], evidence))
    named = sorted({r for st in statements for r in as_list(st.get("Resource")) if ":s3:::" in r})
    evidence.attach("S3Resources", {"data_lake_bucket": bucket, "resources": named})
    assert named, "the role names no S3 resource"
    for resource in named:
        path = resource.split(":s3:::", 1)[1]
        name, _, prefix = path.partition("/")
        assert name == bucket, f"{resource} is outside the data lake bucket"
        assert "/" not in path or prefix.rstrip("*"), f"{resource} covers the whole bucket, not a prefix"


@then("every KMS key the role names is one of the platform's keys")
def role_kms_scope(role: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    platform_keys = set(outputs["kms_key_arns"].values())
    statements = _allow_statements(_role_documents(aws, role["RoleName"], evidence))
    kms_statements = [st for st in statements if any(a.startswith("kms:") for a in as_list(st.get("Action")))]
    named = sorted({r for st in kms_statements for r in as_list(st.get("Resource"))})
    evidence.attach("KmsResources", {"platform_keys": sorted(platform_keys), "resources": named})
    assert named, "the role names no KMS key"
    assert set(named) <= platform_keys, sorted(set(named) - platform_keys)


# ============================================================================================ Network


@given("the platform VPC", target_fixture="vpc")
def platform_vpc(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    return aws("ec2").describe_vpcs(VpcIds=[outputs["vpc_id"]])["Vpcs"][0]


def _vpc_filter(vpc: dict[str, Any], name: str = "vpc-id") -> list[dict[str, Any]]:
    return [{"Name": name, "Values": [vpc["VpcId"]]}]


@then("no internet gateway is attached to the VPC")
def vpc_no_igw(vpc: dict[str, Any], aws: Clients, evidence: Any) -> None:
    igws = aws("ec2").describe_internet_gateways(Filters=_vpc_filter(vpc, "attachment.vpc-id"))
    egress_only = [
        g
        for g in aws("ec2").describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]
        if any(a.get("VpcId") == vpc["VpcId"] for a in g.get("Attachments", []))
    ]
    evidence.attach("DescribeInternetGateways", igws["InternetGateways"])
    evidence.attach("EgressOnlyInternetGatewaysOfVpc", egress_only)
    assert igws["InternetGateways"] == []
    assert egress_only == []


@then("the VPC has no NAT gateway")
def vpc_no_nat(vpc: dict[str, Any], aws: Clients, evidence: Any) -> None:
    nats = aws("ec2").describe_nat_gateways(Filters=_vpc_filter(vpc))["NatGateways"]
    live = [n for n in nats if n.get("State") not in ("deleted", "deleting", "failed")]
    evidence.attach("DescribeNatGateways", nats)
    assert live == []


@then("no route of the VPC leads to an internet or NAT gateway")
def vpc_routes_private(vpc: dict[str, Any], aws: Clients, evidence: Any) -> None:
    tables = aws("ec2").describe_route_tables(Filters=_vpc_filter(vpc))["RouteTables"]
    routes = [{"RouteTableId": t["RouteTableId"], **r} for t in tables for r in t.get("Routes", [])]
    evidence.attach("Routes", routes)
    outward = [
        r
        for r in routes
        if str(r.get("GatewayId", "")).startswith("igw-")
        or r.get("NatGatewayId")
        or r.get("EgressOnlyInternetGatewayId")
        or r.get("TransitGatewayId")
        or r.get("VpcPeeringConnectionId")
    ]
    assert tables, "the VPC has no route tables"
    assert outward == []


@then(parsers.parse("the platform's private subnets lie in the VPC in at least {count:d} availability zones"))
def subnets_in_azs(
    vpc: dict[str, Any], count: int, outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    subnets = aws("ec2").describe_subnets(SubnetIds=list(outputs["private_subnet_ids"]))["Subnets"]
    evidence.attach(
        "DescribeSubnets",
        [{k: s.get(k) for k in ("SubnetId", "VpcId", "AvailabilityZone", "CidrBlock")} for s in subnets],
    )
    assert all(s["VpcId"] == vpc["VpcId"] for s in subnets)
    assert len({s["AvailabilityZone"] for s in subnets}) >= count


@then("no subnet of the VPC assigns public IP addresses on launch")
def subnets_no_public_ip(vpc: dict[str, Any], aws: Clients, evidence: Any) -> None:
    subnets = aws("ec2").describe_subnets(Filters=_vpc_filter(vpc))["Subnets"]
    shown = [
        {
            k: s.get(k)
            for k in ("SubnetId", "AvailabilityZone", "MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation")
        }
        for s in subnets
    ]
    evidence.attach("DescribeSubnets", shown)
    assert subnets
    assert not any(s.get("MapPublicIpOnLaunch") for s in subnets), shown
    assert not any(s.get("AssignIpv6AddressOnCreation") for s in subnets), shown


@then("the default security group has no inbound and no outbound rules")
def default_sg_closed(vpc: dict[str, Any], aws: Clients, evidence: Any) -> None:
    groups = aws("ec2").describe_security_groups(
        Filters=[*_vpc_filter(vpc), {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    evidence.attach("DescribeSecurityGroups", groups)
    assert len(groups) == 1, groups
    rules = aws("ec2").describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [groups[0]["GroupId"]]}]
    )["SecurityGroupRules"]
    evidence.attach("DescribeSecurityGroupRules", rules)
    assert groups[0]["IpPermissions"] == []
    assert groups[0]["IpPermissionsEgress"] == []
    assert rules == []


def _endpoint(vpc: dict[str, Any], kind: str, service: str, aws: Clients, evidence: Any) -> dict[str, Any]:
    region = aws("ec2").meta.region_name
    name = f"com.amazonaws.{region}.{service}"
    endpoints = aws("ec2").describe_vpc_endpoints(
        Filters=[*_vpc_filter(vpc), {"Name": "service-name", "Values": [name]}]
    )["VpcEndpoints"]
    evidence.attach("DescribeVpcEndpoints", endpoints)
    matching = [e for e in endpoints if e["VpcEndpointType"] == kind]
    assert len(matching) == 1, f"expected one {kind} endpoint for {name}, found {len(matching)}"
    assert matching[0]["State"].lower() == "available", matching[0]["State"]
    return matching[0]


@then(parsers.parse("the VPC has a {kind} endpoint for {service}"), target_fixture="vpc_endpoint")
@then(parsers.parse("the VPC has an {kind} endpoint for {service}"), target_fixture="vpc_endpoint")
def vpc_has_endpoint(
    vpc: dict[str, Any], kind: str, service: str, aws: Clients, evidence: Any
) -> dict[str, Any]:
    return _endpoint(vpc, kind, service, aws, evidence)


@then("the endpoint is on the route table of every private subnet")
def gateway_on_route_tables(
    vpc_endpoint: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    tables = aws("ec2").describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": list(outputs["private_subnet_ids"])}]
    )["RouteTables"]
    by_subnet = {
        a["SubnetId"]: t["RouteTableId"]
        for t in tables
        for a in t.get("Associations", [])
        if a.get("SubnetId")
    }
    evidence.attach(
        "GatewayEndpointRouteTables",
        {"endpoint_route_tables": vpc_endpoint.get("RouteTableIds", []), "subnet_route_tables": by_subnet},
    )
    for subnet in outputs["private_subnet_ids"]:
        assert subnet in by_subnet, f"{subnet} has no route table of its own"
        assert by_subnet[subnet] in vpc_endpoint.get("RouteTableIds", []), subnet


@then("the endpoint has private DNS enabled in the platform's private subnets")
def interface_private_dns(vpc_endpoint: dict[str, Any], outputs: dict[str, Any], evidence: Any) -> None:
    shown = {
        k: vpc_endpoint.get(k) for k in ("VpcEndpointId", "ServiceName", "PrivateDnsEnabled", "SubnetIds")
    }
    evidence.attach("InterfaceEndpoint", shown)
    assert vpc_endpoint.get("PrivateDnsEnabled") is True, shown
    assert set(vpc_endpoint.get("SubnetIds", [])) == set(outputs["private_subnet_ids"]), shown


@then("a flow log records ALL traffic of the VPC to CloudWatch Logs", target_fixture="flow_log")
def flow_log_all(vpc: dict[str, Any], aws: Clients, evidence: Any) -> dict[str, Any]:
    logs = aws("ec2").describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])[
        "FlowLogs"
    ]
    evidence.attach("DescribeFlowLogs", logs)
    matching = [
        f
        for f in logs
        if f.get("TrafficType") == "ALL"
        and f.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs"
    ]
    assert matching, "no flow log of ALL traffic to CloudWatch Logs"
    return matching[0]


def _flow_log_group(flow_log: dict[str, Any]) -> str:
    """The destination log group: ``LogGroupName``, or the name inside ``LogDestination`` (an ARN)."""
    if flow_log.get("LogGroupName"):
        return flow_log["LogGroupName"]
    destination = flow_log.get("LogDestination", "")
    assert ":log-group:" in destination, f"no log group destination: {destination!r}"
    return destination.split(":log-group:", 1)[1].removesuffix(":*")


@then("the flow log is active and delivers to its log group")
def flow_log_active(flow_log: dict[str, Any], aws: Clients, evidence: Any) -> None:
    name = _flow_log_group(flow_log)
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    shown = {
        k: flow_log.get(k)
        for k in (
            "FlowLogId",
            "FlowLogStatus",
            "DeliverLogsStatus",
            "DeliverLogsErrorMessage",
            "LogGroupName",
            "LogDestination",
        )
    }
    evidence.attach("FlowLog", shown)
    evidence.attach("DescribeLogGroups", groups)
    assert flow_log.get("FlowLogStatus") == "ACTIVE", shown
    assert any(g["logGroupName"] == name for g in groups), f"the destination log group {name} is gone"
    assert flow_log.get("DeliverLogsStatus") == "SUCCESS", shown


# ============================================================================================ Logging


@given("the platform trail", target_fixture="trail")
def platform_trail(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    return aws("cloudtrail").get_trail(Name=outputs["trail_arn"])["Trail"]


def _log_group_name(source: str, outputs: dict[str, Any], aws: Clients) -> str:
    """Where each source writes, located through the live source where it says so itself."""
    if source == "training jobs":
        return outputs["training_log_group"]
    if source == "the endpoint":
        return outputs["endpoint_log_group"]
    if source == "VPC flow logs":
        flows = aws("ec2").describe_flow_logs(
            Filters=[{"Name": "resource-id", "Values": [outputs["vpc_id"]]}]
        )["FlowLogs"]
        assert flows, "the VPC has no flow log"
        return _flow_log_group(flows[0])
    if source == "CloudTrail":
        trail = aws("cloudtrail").get_trail(Name=outputs["trail_arn"])["Trail"]
        arn = trail.get("CloudWatchLogsLogGroupArn")
        assert arn, "the trail delivers to no log group"
        return arn.split(":log-group:", 1)[1].removesuffix(":*")
    raise AssertionError(f"unknown log source {source!r}")


@given(parsers.parse("the log group for {source}"), target_fixture="log_group")
def the_log_group(source: str, outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    name = _log_group_name(source, outputs, aws)
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    matching = [g for g in groups if g["logGroupName"] == name]
    assert matching, f"log group {name} does not exist"
    return matching[0]


@then(parsers.parse("the log group is encrypted with the KMS key for {purpose}"))
def log_group_kms(
    log_group: dict[str, Any],
    purpose: str,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    evidence.attach("DescribeLogGroups", log_group)
    evidence.attach("KeyCompared", key_matches(log_group.get("kmsKeyId"), key_arn_for(purpose)))


@then("the log group retains events for at least the days the specification sets")
def log_group_retention(log_group: dict[str, Any], evidence: Any) -> None:
    days = int(threshold("URS_023", "min_retention_days"))
    shown = {k: log_group.get(k) for k in ("logGroupName", "retentionInDays")} | {"required_min_days": days}
    evidence.attach("Retention", shown)
    assert log_group.get("retentionInDays") is not None, "events never expire is not a retention policy here"
    assert log_group["retentionInDays"] >= days, shown


@then("the trail is logging")
def trail_logging(trail: dict[str, Any], aws: Clients, evidence: Any) -> None:
    status = trim(aws("cloudtrail").get_trail_status(Name=trail["TrailARN"]))
    evidence.attach("GetTrailStatus", status)
    assert status.get("IsLogging") is True


@then("the trail is multi-region")
def trail_multi_region(trail: dict[str, Any], evidence: Any) -> None:
    evidence.attach("GetTrail", trail)
    assert trail.get("IsMultiRegionTrail") is True
    assert trail.get("IncludeGlobalServiceEvents") is True


@then("log file validation is enabled")
def trail_validation(trail: dict[str, Any], evidence: Any) -> None:
    evidence.attach(
        "LogFileValidationEnabled", {"LogFileValidationEnabled": trail.get("LogFileValidationEnabled")}
    )
    assert trail.get("LogFileValidationEnabled") is True


@then(parsers.parse("the trail is encrypted with the KMS key for {purpose}"))
def trail_kms(
    trail: dict[str, Any],
    purpose: str,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    evidence.attach("KeyCompared", key_matches(trail.get("KmsKeyId"), key_arn_for(purpose)))


@then("the trail records all read and write management events")
def trail_management_events(trail: dict[str, Any], aws: Clients, evidence: Any) -> None:
    selectors = trim(aws("cloudtrail").get_event_selectors(TrailName=trail["TrailARN"]))
    evidence.attach("GetEventSelectors", selectors)
    basic = selectors.get("EventSelectors") or []
    advanced = selectors.get("AdvancedEventSelectors") or []
    management = [
        s for s in basic if s.get("IncludeManagementEvents") is True and s.get("ReadWriteType") == "All"
    ]
    advanced_management = [
        s
        for s in advanced
        if any(
            f.get("Field") == "eventCategory" and "Management" in f.get("Equals", [])
            for f in s["FieldSelectors"]
        )
        and not any(f.get("Field") == "readOnly" for f in s["FieldSelectors"])
    ]
    assert management or advanced_management, "no selector records all management events"


# ========================================================================================== SageMaker


@given("the deployed SageMaker model", target_fixture="model")
def deployed_model(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    assert outputs.get("model_name"), "no model is deployed: run `make train deploy` first"
    return aws("sagemaker").describe_model(ModelName=outputs["model_name"])


@then("network isolation is enabled")
def model_isolated(model: dict[str, Any], evidence: Any) -> None:
    evidence.attach("DescribeModel", trim(model))
    assert model.get("EnableNetworkIsolation") is True


@then("the model runs in the platform's private subnets with the SageMaker security group")
def model_in_vpc(model: dict[str, Any], outputs: dict[str, Any], evidence: Any) -> None:
    config = model.get("VpcConfig") or {}
    evidence.attach("VpcConfig", config)
    assert config.get("Subnets"), "the model has no VPC configuration"
    assert set(config["Subnets"]) <= set(outputs["private_subnet_ids"]), config
    assert config.get("SecurityGroupIds") == [outputs["sagemaker_security_group_id"]], config


@given("the endpoint configuration", target_fixture="endpoint_config")
def endpoint_config(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    assert outputs.get("endpoint_name"), "no endpoint is deployed: run `make train deploy` first"
    endpoint = aws("sagemaker").describe_endpoint(EndpointName=outputs["endpoint_name"])
    return aws("sagemaker").describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])


@then(parsers.parse("the endpoint storage is encrypted with the KMS key for {purpose}"))
def endpoint_config_kms(
    endpoint_config: dict[str, Any],
    purpose: str,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    evidence.attach("DescribeEndpointConfig", trim(endpoint_config))
    evidence.attach("KeyCompared", key_matches(endpoint_config.get("KmsKeyId"), key_arn_for(purpose)))


@then("data capture is enabled for requests and responses")
def data_capture_enabled(endpoint_config: dict[str, Any], evidence: Any) -> None:
    capture = endpoint_config.get("DataCaptureConfig") or {}
    evidence.attach("DataCaptureConfig", capture)
    assert capture.get("EnableCapture") is True, capture
    assert capture.get("InitialSamplingPercentage", 0) > 0, capture
    modes = {o["CaptureMode"] for o in capture.get("CaptureOptions", [])}
    assert {"Input", "Output"} <= modes, modes


@then("captured data goes to the platform's data capture location")
def data_capture_destination(endpoint_config: dict[str, Any], outputs: dict[str, Any], evidence: Any) -> None:
    capture = endpoint_config.get("DataCaptureConfig") or {}
    shown = {"DestinationS3Uri": capture.get("DestinationS3Uri"), "expected": outputs["data_capture_s3_uri"]}
    evidence.attach("DataCaptureDestination", shown)
    assert capture.get("DestinationS3Uri", "").rstrip("/") == outputs["data_capture_s3_uri"].rstrip("/"), (
        shown
    )


@then(parsers.parse("captured data is encrypted with the KMS key for {purpose}"))
def data_capture_kms(
    endpoint_config: dict[str, Any],
    purpose: str,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    capture = endpoint_config.get("DataCaptureConfig") or {}
    evidence.attach("KeyCompared", key_matches(capture.get("KmsKeyId"), key_arn_for(purpose)))


@given("the model package group", target_fixture="package_group")
def package_group(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    return aws("sagemaker").describe_model_package_group(
        ModelPackageGroupName=outputs["model_package_group_name"]
    )


@then("the model package group is ready")
def package_group_ready(package_group: dict[str, Any], evidence: Any) -> None:
    evidence.attach("DescribeModelPackageGroup", trim(package_group))
    assert package_group.get("ModelPackageGroupStatus") == "Completed", package_group.get(
        "ModelPackageGroupStatus"
    )


# ============================================================================================== Tools


@then(parsers.parse("the Terraform CLI is version {minimum} or later"))
def terraform_version(minimum: str, platform: Platform, evidence: Any) -> None:
    version = platform.runner.version()
    evidence.attach("terraform version -json", version)
    assert _version_tuple(version["terraform_version"]) >= _version_tuple(minimum), version[
        "terraform_version"
    ]


@then(parsers.parse("Terraform uses the {provider} provider version {expected}"))
def terraform_provider(
    provider: str, expected: str, platform: Platform, outputs: dict[str, Any], evidence: Any
) -> None:
    # ``outputs`` has initialised the working directory: the selections are the installed providers.
    selections = platform.runner.version().get("provider_selections", {})
    evidence.attach("provider_selections", selections)
    assert selections.get(f"registry.terraform.io/{provider}") == expected, selections


@then(parsers.parse("the provider lock file pins {provider} version {expected}"))
def provider_lock(provider: str, expected: str, evidence: Any) -> None:
    text = (REPO / "terraform" / ".terraform.lock.hcl").read_text()
    match = re.search(
        rf'provider "registry\.terraform\.io/{re.escape(provider)}" \{{\s*version\s*=\s*"([^"]+)"', text
    )
    evidence.attach(
        "terraform/.terraform.lock.hcl", {"provider": provider, "version": match and match.group(1)}
    )
    assert match, f"{provider} is not in the lock file"
    assert match.group(1) == expected


@then(parsers.parse("Python is version {minimum} or later"))
def python_version(minimum: str, evidence: Any) -> None:
    evidence.attach("python", {"version": sys.version, "executable": sys.executable})
    assert sys.version_info[:3] >= _version_tuple(minimum)


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[re.sub(r"\[.*\]", "", name).strip()] = version.strip()
    return pins


@then("every package pinned in requirements.txt is installed at its pinned version")
def packages_pinned(evidence: Any) -> None:
    compared = {}
    for name, pinned in _pins(REPO / "requirements.txt").items():
        try:
            installed: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        compared[name] = {"pinned": pinned, "installed": installed}
    evidence.attach("packages", compared)
    mismatched = {n: v for n, v in compared.items() if v["installed"] != v["pinned"]}
    assert compared, "requirements.txt pins nothing"
    assert not mismatched, mismatched
