"""Baseline and drift: does the live platform still match what was qualified?

A qualification run writes a normalised snapshot of every live resource its IQ reads (read from the
AWS APIs, never from Terraform state; the outputs only locate the resources) plus the Terraform state
serial into its evidence package (:data:`SNAPSHOT_FILE`). ``python -m harness drift`` takes a new
snapshot and compares it with the baseline: the latest *approved* package of the same platform, else
its latest *passing* one. The same platform means the same account and region and, on the local
target, the same emulator instance: a baseline of another platform is never compared.

Normalisation keeps what a control depends on and drops what changes by itself (timestamps, request
ids, counters): policy documents are parsed, their statements keyed by ``Sid`` (or by a hash of the
statement when it has none) with every list sorted, so a removed statement is named as such and a
reordering is not drift. Each resource is keyed by its AWS identifier (key id, bucket name, role name,
VPC/subnet/endpoint/security group id, log group name, trail name, SageMaker names).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as _dt
import hashlib
import html
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import botocore.exceptions

from harness.errors import ExitStatus, HarnessError
from harness.progress import Progress
from harness.target import Target

SNAPSHOT_FILE = "platform-snapshot.json"
SNAPSHOT_SCHEMA = "harness.drift/snapshot/v1"
RECORD_SCHEMA = "harness.drift/record/v1"
RECORD_JSON = "drift.json"
RECORD_HTML = "drift.html"

SERVICES = ("kms", "s3", "iam", "ec2", "cloudtrail", "logs", "sagemaker")

ClientFactory = Callable[[str], Any]


class DriftError(HarnessError):
    """The snapshot or the baseline cannot be read."""


class DriftFound(HarnessError):
    """The live platform differs from its baseline (the message lists every change)."""

    exit_status = ExitStatus.DRIFT


def utc_now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ============================================================================== normalisation


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def normalise(value: Any) -> Any:
    """Plain JSON data with every list sorted (order carries no meaning in what is compared here)."""
    if isinstance(value, Mapping):
        return {str(k): normalise(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [normalise(v) for v in value]
        return sorted(items, key=_canonical)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _statement(st: Mapping[str, Any]) -> dict[str, Any]:
    """One policy statement: single values become lists (``"s3:GetObject"`` == ``["s3:GetObject"]``)."""
    out: dict[str, Any] = {}
    for key, value in st.items():
        if key == "Sid":
            continue
        if key in ("Action", "NotAction", "Resource", "NotResource"):
            out[key] = sorted(_as_list(value))
        elif key in ("Principal", "NotPrincipal") and isinstance(value, Mapping):
            out[key] = {k: sorted(_as_list(v)) for k, v in value.items()}
        elif key == "Condition" and isinstance(value, Mapping):
            out[key] = {
                op: {ck: sorted(str(x) for x in _as_list(cv)) for ck, cv in (cond or {}).items()}
                for op, cond in value.items()
            }
        else:
            out[key] = value
    return normalise(out)


def normalise_policy(document: Any) -> dict[str, Any] | None:
    """A policy document (JSON text, URL-encoded IAM text or a dict) as ``{"statements": {key: st}}``.

    Statements are keyed by ``Sid``; one without a ``Sid`` by ``#`` and the first 12 hex digits of
    its canonical SHA-256, so the same statement keeps the same key wherever it sits in the list.
    """
    if document is None:
        return None
    if isinstance(document, str):
        text = document
        if text.startswith("%7B") or text.startswith("%7b"):
            from urllib.parse import unquote

            text = unquote(text)
        document = json.loads(text) if text.strip() else {}
    statements: dict[str, Any] = {}
    for st in _as_list((document or {}).get("Statement")):
        body = _statement(st)
        key = st.get("Sid") or "#" + hashlib.sha256(_canonical(body).encode()).hexdigest()[:12]
        while key in statements:  # duplicate Sids: keep both, distinguishably
            key += "'"
        statements[key] = body
    return {"version": (document or {}).get("Version"), "statements": statements}


# ============================================================================== live snapshot


@dataclasses.dataclass(frozen=True)
class PlatformIdentity:
    """Which platform a snapshot belongs to: account and region, and the emulator instance locally."""

    target: str
    account: str | None
    region: str
    emulator_instance: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlatformIdentity:
        return cls(
            target=str(data.get("target")),
            account=data.get("account"),
            region=str(data.get("region")),
            emulator_instance=data.get("emulator_instance"),
        )

    def same_platform(self, other: PlatformIdentity) -> bool:
        return (self.target, self.account, self.region, self.emulator_instance) == (
            other.target,
            other.account,
            other.region,
            other.emulator_instance,
        )

    def describe(self) -> str:
        where = f"account {self.account} in {self.region}"
        if self.emulator_instance:
            where += f", emulator instance {self.emulator_instance}"
        return f"{self.target} ({where})"


def identity_of(target: Target) -> PlatformIdentity:
    """The live platform's identity (STS GetCallerIdentity; the emulator's instance id locally)."""
    account = target.client("sts").get_caller_identity().get("Account")
    instance = getattr(target.emulator, "instance_id", None) if target.is_local else None
    return PlatformIdentity(target.name, account, target.region, instance)


def _missing(exc: botocore.exceptions.ClientError, *codes: str) -> bool:
    code = exc.response.get("Error", {}).get("Code", "")
    return code in codes or any(c in code for c in codes)


def _optional(call: Callable[[], Any], *codes: str) -> Any:
    """The call's answer, or None when AWS says the configuration does not exist."""
    try:
        return call()
    except botocore.exceptions.ClientError as exc:
        if _missing(exc, *codes):
            return None
        raise


class _Reader:
    """Reads each resource family through the target's APIs into ``{key: resource}``."""

    def __init__(self, clients: ClientFactory, outputs: Mapping[str, Any]) -> None:
        self.clients = clients
        self.outputs = outputs
        self._cache: dict[str, Any] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        self.problems: list[str] = []

    def client(self, service: str) -> Any:
        if service not in self._cache:
            self._cache[service] = self.clients(service)
        return self._cache[service]

    def add(self, kind: str, ident: str, attributes: Mapping[str, Any], arn: str | None = None) -> None:
        self.resources[f"{kind}/{ident}"] = {
            "type": kind,
            "id": ident,
            "arn": arn,
            "attributes": normalise(dict(attributes)),
        }

    def absent(self, kind: str, ident: str) -> None:
        """A resource the outputs name that the API says does not exist."""
        self.resources[f"{kind}/{ident}"] = {"type": kind, "id": ident, "arn": None, "absent": True}

    # -- KMS ----------------------------------------------------------------------------------

    def kms_keys(self) -> None:
        kms = self.client("kms")
        arns = sorted(set((self.outputs.get("kms_key_arns") or {}).values()))
        aliases: dict[str, list[str]] = {}
        for page in kms.get_paginator("list_aliases").paginate():
            for alias in page.get("Aliases", []):
                if alias.get("TargetKeyId"):
                    aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
        for arn in arns:
            key_id = arn.rsplit("/", 1)[-1]
            meta = _optional(lambda arn=arn: kms.describe_key(KeyId=arn)["KeyMetadata"], "NotFound")
            if meta is None:
                self.absent("kms_key", key_id)
                continue
            attrs: dict[str, Any] = {
                "enabled": meta.get("Enabled"),
                "key_state": meta.get("KeyState"),
                "key_manager": meta.get("KeyManager"),
                "key_spec": meta.get("KeySpec"),
                "key_usage": meta.get("KeyUsage"),
                "multi_region": meta.get("MultiRegion"),
                "description": meta.get("Description"),
                "aliases": aliases.get(meta["KeyId"], []),
            }
            if meta.get("KeySpec") == "SYMMETRIC_DEFAULT":
                rotation = kms.get_key_rotation_status(KeyId=arn)
                attrs["rotation_enabled"] = rotation.get("KeyRotationEnabled")
                attrs["rotation_period_days"] = rotation.get("RotationPeriodInDays")
            policy = kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]
            attrs["policy"] = normalise_policy(policy)
            self.add("kms_key", meta["KeyId"], attrs, arn=meta.get("Arn"))

    # -- S3 -----------------------------------------------------------------------------------

    def buckets(self) -> None:
        s3 = self.client("s3")
        names = sorted({v for k, v in self.outputs.items() if k.endswith("_bucket") and isinstance(v, str)})
        for name in names:
            exists = _optional(
                lambda name=name: s3.head_bucket(Bucket=name), "404", "NoSuchBucket", "NotFound"
            )
            if exists is None:
                self.absent("s3_bucket", name)
                continue
            enc = _optional(
                lambda name=name: s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"],
                "ServerSideEncryptionConfigurationNotFoundError",
            )
            rules = [
                {
                    "algorithm": (r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm"),
                    "kms_key": (r.get("ApplyServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID"),
                    "bucket_key": r.get("BucketKeyEnabled"),
                }
                for r in (enc or {}).get("Rules", [])
            ]
            versioning = s3.get_bucket_versioning(Bucket=name)
            pab = _optional(
                lambda name=name: s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
                "NoSuchPublicAccessBlockConfiguration",
            )
            policy = _optional(
                lambda name=name: s3.get_bucket_policy(Bucket=name)["Policy"], "NoSuchBucketPolicy"
            )
            lock = _optional(
                lambda name=name: s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"],
                "ObjectLockConfigurationNotFoundError",
            )
            logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
            retention = ((lock or {}).get("Rule") or {}).get("DefaultRetention") or {}
            self.add(
                "s3_bucket",
                name,
                {
                    "encryption": rules or None,
                    "versioning": versioning.get("Status") or "Disabled",
                    "mfa_delete": versioning.get("MFADelete") or "Disabled",
                    "public_access_block": pab,
                    "policy": normalise_policy(policy),
                    "object_lock": None
                    if lock is None
                    else {
                        "enabled": lock.get("ObjectLockEnabled"),
                        "mode": retention.get("Mode"),
                        "days": retention.get("Days"),
                        "years": retention.get("Years"),
                    },
                    "logging": None
                    if not logging
                    else {
                        "target_bucket": logging.get("TargetBucket"),
                        "target_prefix": logging.get("TargetPrefix"),
                    },
                },
                arn=f"arn:aws:s3:::{name}",
            )

    # -- IAM ----------------------------------------------------------------------------------

    def roles(self) -> None:
        iam = self.client("iam")
        named = {v.rsplit("/", 1)[-1] for k, v in self.outputs.items() if k.endswith("_role_arn") and v}
        prefix = self.outputs.get("name_prefix")
        listed: set[str] = set()
        for page in iam.get_paginator("list_roles").paginate():
            for role in page.get("Roles", []):
                if prefix and role["RoleName"].startswith(f"{prefix}-"):
                    listed.add(role["RoleName"])
        for name in sorted(named | listed):
            role = _optional(lambda name=name: iam.get_role(RoleName=name)["Role"], "NoSuchEntity")
            if role is None:
                self.absent("iam_role", name)
                continue
            inline = {}
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
                for policy_name in page.get("PolicyNames", []):
                    doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
                    inline[policy_name] = normalise_policy(doc)
            attached = {}
            for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
                for att in page.get("AttachedPolicies", []):
                    arn = att["PolicyArn"]
                    policy = iam.get_policy(PolicyArn=arn)["Policy"]
                    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
                    attached[arn] = normalise_policy(version["PolicyVersion"]["Document"])
            self.add(
                "iam_role",
                name,
                {
                    "path": role.get("Path"),
                    "trust_policy": normalise_policy(role.get("AssumeRolePolicyDocument")),
                    "max_session_duration": role.get("MaxSessionDuration"),
                    "permissions_boundary": (role.get("PermissionsBoundary") or {}).get(
                        "PermissionsBoundaryArn"
                    ),
                    "inline_policies": inline,
                    "attached_policies": attached,
                },
                arn=role.get("Arn"),
            )

    # -- network ------------------------------------------------------------------------------

    def network(self) -> list[str]:
        """VPC, subnets, route tables, gateways, endpoints, security groups, flow logs.

        Returns the flow logs' log groups (they are snapshotted with the other log groups)."""
        vpc_id = self.outputs.get("vpc_id")
        if not vpc_id:
            return []
        ec2 = self.client("ec2")
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        vpcs = _optional(lambda: ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"], "InvalidVpcID.NotFound")
        if not vpcs:
            self.absent("vpc", vpc_id)
            return []
        vpc = vpcs[0]
        dns = {
            attr: ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attr)[attr[0].upper() + attr[1:]][
                "Value"
            ]
            for attr in ("enableDnsSupport", "enableDnsHostnames")
        }
        igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
        nats = ec2.describe_nat_gateways(Filters=in_vpc).get("NatGateways", [])
        self.add(
            "vpc",
            vpc_id,
            {
                "cidr": vpc.get("CidrBlock"),
                "dns_support": dns["enableDnsSupport"],
                "dns_hostnames": dns["enableDnsHostnames"],
                "internet_gateways": [g["InternetGatewayId"] for g in igws.get("InternetGateways", [])],
                "nat_gateways": [
                    n["NatGatewayId"] for n in nats if n.get("State") not in ("deleted", "deleting")
                ],
            },
        )
        for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
            self.add(
                "subnet",
                subnet["SubnetId"],
                {
                    "vpc": subnet.get("VpcId"),
                    "cidr": subnet.get("CidrBlock"),
                    "availability_zone": subnet.get("AvailabilityZone"),
                    "map_public_ip_on_launch": subnet.get("MapPublicIpOnLaunch"),
                },
            )
        for table in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]:
            routes = [
                {
                    "destination": r.get("DestinationCidrBlock")
                    or r.get("DestinationPrefixListId")
                    or r.get("DestinationIpv6CidrBlock"),
                    "target": r.get("GatewayId")
                    or r.get("NatGatewayId")
                    or r.get("VpcPeeringConnectionId")
                    or r.get("TransitGatewayId")
                    or r.get("NetworkInterfaceId"),
                }
                for r in table.get("Routes", [])
            ]
            self.add(
                "route_table",
                table["RouteTableId"],
                {
                    "routes": routes,
                    "main": any(a.get("Main") for a in table.get("Associations", [])),
                    "subnets": [a["SubnetId"] for a in table.get("Associations", []) if a.get("SubnetId")],
                },
            )
        for ep in ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"]:
            if ep.get("State", "").lower() in ("deleted", "deleting"):
                continue
            self.add(
                "vpc_endpoint",
                ep["VpcEndpointId"],
                {
                    "service": ep.get("ServiceName"),
                    "type": ep.get("VpcEndpointType"),
                    "private_dns": ep.get("PrivateDnsEnabled"),
                    "subnets": ep.get("SubnetIds", []),
                    "route_tables": ep.get("RouteTableIds", []),
                    "security_groups": [g["GroupId"] for g in ep.get("Groups", [])],
                    "policy": normalise_policy(ep.get("PolicyDocument")),
                },
            )
        for group in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]:
            self.add(
                "security_group",
                group["GroupId"],
                {
                    "name": group.get("GroupName"),
                    "description": group.get("Description"),
                    "ingress": [_permission(p) for p in group.get("IpPermissions", [])],
                    "egress": [_permission(p) for p in group.get("IpPermissionsEgress", [])],
                },
            )
        groups: list[str] = []
        flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
        for flow in flows:
            group = flow.get("LogGroupName") or (flow.get("LogDestination") or "").split(":log-group:", 1)[-1]
            group = group.removesuffix(":*")
            if group:
                groups.append(group)
            self.add(
                "flow_log",
                flow["FlowLogId"],
                {
                    "resource": flow.get("ResourceId"),
                    "traffic_type": flow.get("TrafficType"),
                    "destination_type": flow.get("LogDestinationType"),
                    "log_group": group or None,
                    "role": flow.get("DeliverLogsPermissionArn"),
                    "status": flow.get("FlowLogStatus"),
                    "format": flow.get("LogFormat"),
                },
            )
        return groups

    # -- logs and trail -----------------------------------------------------------------------

    def trail(self) -> list[str]:
        """The trail; returns its CloudWatch Logs group (snapshotted with the other log groups)."""
        arn = self.outputs.get("trail_arn")
        if not arn:
            return []
        ct = self.client("cloudtrail")
        name = arn.rsplit("/", 1)[-1]
        trail = _optional(lambda: ct.get_trail(Name=arn)["Trail"], "TrailNotFoundException")
        if trail is None:
            self.absent("cloudtrail_trail", name)
            return []
        status = ct.get_trail_status(Name=arn)
        selectors = ct.get_event_selectors(TrailName=arn)
        group_arn = trail.get("CloudWatchLogsLogGroupArn") or ""
        self.add(
            "cloudtrail_trail",
            trail.get("Name", name),
            {
                "logging": status.get("IsLogging"),
                "multi_region": trail.get("IsMultiRegionTrail"),
                "global_service_events": trail.get("IncludeGlobalServiceEvents"),
                "log_file_validation": trail.get("LogFileValidationEnabled"),
                "kms_key": trail.get("KmsKeyId"),
                "s3_bucket": trail.get("S3BucketName"),
                "s3_prefix": trail.get("S3KeyPrefix"),
                "cloudwatch_logs_group": group_arn or None,
                "cloudwatch_logs_role": trail.get("CloudWatchLogsRoleArn"),
                "event_selectors": selectors.get("EventSelectors") or [],
                "advanced_event_selectors": selectors.get("AdvancedEventSelectors") or [],
            },
            arn=trail.get("TrailARN"),
        )
        if ":log-group:" in group_arn:
            return [group_arn.split(":log-group:", 1)[1].removesuffix(":*")]
        return []

    def log_groups(self, extra: Iterable[str]) -> None:
        logs = self.client("logs")
        names = {v for k, v in self.outputs.items() if k.endswith("_log_group") and isinstance(v, str)}
        for name in sorted(names | set(extra)):
            found = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
            group = next((g for g in found if g["logGroupName"] == name), None)
            if group is None:
                self.absent("log_group", name)
                continue
            self.add(
                "log_group",
                name,
                {"kms_key": group.get("kmsKeyId"), "retention_days": group.get("retentionInDays")},
                arn=group.get("arn"),
            )

    # -- SageMaker ----------------------------------------------------------------------------

    def sagemaker(self) -> None:
        sm = self.client("sagemaker")
        group = self.outputs.get("model_package_group_name")
        if group:
            desc = _optional(
                lambda: sm.describe_model_package_group(ModelPackageGroupName=group), "ValidationException"
            )
            if desc is None:
                self.absent("sagemaker_model_package_group", group)
            else:
                self.add(
                    "sagemaker_model_package_group",
                    group,
                    {"status": desc.get("ModelPackageGroupStatus")},
                    arn=desc.get("ModelPackageGroupArn"),
                )
        endpoint = self.outputs.get("endpoint_name")
        models = {self.outputs["model_name"]} if self.outputs.get("model_name") else set()
        configs = (
            {self.outputs["endpoint_config_name"]} if self.outputs.get("endpoint_config_name") else set()
        )
        if endpoint:
            ep = _optional(lambda: sm.describe_endpoint(EndpointName=endpoint), "ValidationException")
            if ep is None:
                self.absent("sagemaker_endpoint", endpoint)
            else:
                configs.add(ep["EndpointConfigName"])
                self.add(
                    "sagemaker_endpoint",
                    endpoint,
                    {"config": ep.get("EndpointConfigName"), "status": ep.get("EndpointStatus")},
                    arn=ep.get("EndpointArn"),
                )
        for name in sorted(configs):
            cfg = _optional(
                lambda name=name: sm.describe_endpoint_config(EndpointConfigName=name), "ValidationException"
            )
            if cfg is None:
                self.absent("sagemaker_endpoint_config", name)
                continue
            variants = []
            for v in cfg.get("ProductionVariants", []):
                models.add(v["ModelName"])
                variants.append(
                    {
                        "name": v.get("VariantName"),
                        "model": v.get("ModelName"),
                        "instance_type": v.get("InstanceType"),
                        "instance_count": v.get("InitialInstanceCount"),
                        "weight": v.get("InitialVariantWeight"),
                    }
                )
            capture = cfg.get("DataCaptureConfig") or {}
            self.add(
                "sagemaker_endpoint_config",
                name,
                {
                    "kms_key": cfg.get("KmsKeyId"),
                    "variants": variants,
                    "data_capture": None
                    if not capture
                    else {
                        "enabled": capture.get("EnableCapture"),
                        "sampling_percentage": capture.get("InitialSamplingPercentage"),
                        "destination": capture.get("DestinationS3Uri"),
                        "kms_key": capture.get("KmsKeyId"),
                        "modes": [o.get("CaptureMode") for o in capture.get("CaptureOptions", [])],
                    },
                },
                arn=cfg.get("EndpointConfigArn"),
            )
        for name in sorted(models):
            model = _optional(lambda name=name: sm.describe_model(ModelName=name), "ValidationException")
            if model is None:
                self.absent("sagemaker_model", name)
                continue
            container = model.get("PrimaryContainer") or {}
            vpc = model.get("VpcConfig") or {}
            self.add(
                "sagemaker_model",
                name,
                {
                    "execution_role": model.get("ExecutionRoleArn"),
                    "image": container.get("Image"),
                    "model_data": container.get("ModelDataUrl"),
                    "environment": container.get("Environment") or None,
                    "network_isolation": model.get("EnableNetworkIsolation"),
                    "subnets": vpc.get("Subnets", []),
                    "security_groups": vpc.get("SecurityGroupIds", []),
                },
                arn=model.get("ModelArn"),
            )


def _permission(p: Mapping[str, Any]) -> dict[str, Any]:
    """A security group rule without its rule ids (they change when a rule is recreated identically)."""
    return {
        "protocol": p.get("IpProtocol"),
        "from": p.get("FromPort"),
        "to": p.get("ToPort"),
        "cidrs": [r.get("CidrIp") for r in p.get("IpRanges", [])],
        "ipv6": [r.get("CidrIpv6") for r in p.get("Ipv6Ranges", [])],
        "prefix_lists": [r.get("PrefixListId") for r in p.get("PrefixListIds", [])],
        "groups": [g.get("GroupId") for g in p.get("UserIdGroupPairs", [])],
    }


def take_snapshot(
    target: Target,
    outputs: Mapping[str, Any],
    *,
    state_serial: int | None,
    progress: Progress | None = None,
    identity: PlatformIdentity | None = None,
) -> dict[str, Any]:
    """A normalised snapshot of the live platform (outputs only locate the resources)."""
    return snapshot_from_clients(
        target.client,
        outputs,
        identity=identity or identity_of(target),
        state_serial=state_serial,
        progress=progress,
    )


def snapshot_from_clients(
    clients: ClientFactory,
    outputs: Mapping[str, Any],
    *,
    identity: PlatformIdentity,
    state_serial: int | None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """:func:`take_snapshot` with the clients passed in (tests use in-process moto)."""
    reader = _Reader(clients, outputs)
    for service in SERVICES:  # created up front: the families below read side by side
        reader.client(service)
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        families = [
            pool.submit(f)
            for f in (reader.network, reader.trail, reader.roles, reader.kms_keys, reader.buckets)
        ]
        families.append(pool.submit(reader.sagemaker))
        groups = [g for f in families for g in (f.result() or [])]
    reader.log_groups(groups)
    resources = dict(sorted(reader.resources.items()))
    if progress:
        progress(f"snapshot: {len(resources)} live resources read")
    return {
        "schema": SNAPSHOT_SCHEMA,
        "taken": utc_now(),
        "platform": identity.to_dict(),
        "state_serial": state_serial,
        "resources": resources,
    }


# ================================================================================== comparison


@dataclasses.dataclass(frozen=True)
class Change:
    """One difference between the baseline and the live platform."""

    resource_type: str
    resource_id: str
    attribute: str | None  # None: the whole resource appeared or disappeared
    change: str  # changed | added | removed
    before: Any = None
    after: Any = None

    @property
    def resource(self) -> str:
        return f"{self.resource_type} {self.resource_id}"

    def describe(self) -> str:
        if self.attribute is None:
            what = "appeared (not in the baseline)" if self.change == "added" else "is gone"
            return f"{self.resource}: {what}"
        if self.change == "removed":
            return f"{self.resource}: {self.attribute} removed (was {_short(self.before)})"
        if self.change == "added":
            return f"{self.resource}: {self.attribute} added ({_short(self.after)})"
        if self.before is True and self.after is False:
            return f"{self.resource}: {self.attribute} switched off (was true)"
        if self.before is False and self.after is True:
            return f"{self.resource}: {self.attribute} switched on (was false)"
        return f"{self.resource}: {self.attribute} changed from {_short(self.before)} to {_short(self.after)}"

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "description": self.describe()}


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compare(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> list[Change]:
    """Every resource and attribute that differs, in a stable order (resource key, attribute)."""
    before = baseline.get("resources", {})
    after = current.get("resources", {})
    changes: list[Change] = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        ref = a or b
        kind, ident = ref["type"], ref["id"]
        if b is None or b.get("absent"):
            if a is not None and not a.get("absent"):
                changes.append(Change(kind, ident, None, "added"))
            continue
        if a is None or a.get("absent"):
            changes.append(Change(kind, ident, None, "removed"))
            continue
        changes += [
            Change(kind, ident, attr, change, before=old, after=new)
            for attr, change, old, new in diff(b.get("attributes", {}), a.get("attributes", {}))
        ]
    return changes


def diff(before: Any, after: Any, path: str = "") -> list[tuple[str, str, Any, Any]]:
    """``(attribute path, change, before, after)`` for every difference, at the coarsest level that
    names it: a setting that appeared or disappeared whole (a policy, an inline policy, a statement)
    is one change; lists and single policy statements are compared whole (statements by ``Sid``)."""
    if before == after:
        return []
    statement = path.rpartition(".")[0].endswith("statements")
    nested = isinstance(before, Mapping) and isinstance(after, Mapping) and not statement
    if not nested:
        if before is None:
            return [(path, "added", None, after)]
        if after is None:
            return [(path, "removed", before, None)]
        if _canonical(before) == _canonical(after):
            return []
        return [(path, "changed", before, after)]
    out: list[tuple[str, str, Any, Any]] = []
    for key in sorted(set(before) | set(after), key=str):
        child = f"{path}.{key}" if path else str(key)
        out += diff(before.get(key), after.get(key), child)
    return out


# ================================================================================== baselines


@dataclasses.dataclass(frozen=True)
class Baseline:
    package: Path
    kind: str  # approved | passing | given
    snapshot: dict[str, Any]

    @property
    def run_id(self) -> str:
        return self.package.name


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def package_passed(folder: Path) -> bool:
    """The package's signed verdict is PASS."""
    report = _read_json(folder / "report.json") or {}
    return (report.get("verdict") or {}).get("result") == "PASS"


def package_approved(folder: Path) -> bool:
    """A person's signed approval of this package: a record under ``approvals/`` with the meaning
    "approved", not automatic, whose signature verifies and whose subject is this manifest's SHA-256
    (``harness.validation.signatures``; an approval copied from another package does not count)."""
    from harness.validation import signatures

    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return False
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
    for path in sorted((folder / "approvals").glob("*.json")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        check = signatures.verify(
            data, name=path.name, expected={"kind": "evidence-package", "sha256": digest}
        )
        record = check.record
        if check.ok and record.get("meaning") == "approved" and not record.get("automatic"):
            return True
    return False


def snapshot_sealed(folder: Path) -> bool:
    """The snapshot is listed in the package's manifest with the SHA-256 it has now."""
    manifest = _read_json(folder / "manifest.json")
    path = folder / SNAPSHOT_FILE
    if not isinstance(manifest, Mapping) or not path.is_file():
        return False
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return any(
        f.get("path") == SNAPSHOT_FILE and f.get("sha256") == digest for f in manifest.get("files", [])
    )


def load_snapshot(folder: Path) -> dict[str, Any]:
    data = _read_json(folder / SNAPSHOT_FILE)
    if not isinstance(data, Mapping) or data.get("schema") != SNAPSHOT_SCHEMA:
        raise DriftError(
            f"{folder}: no readable {SNAPSHOT_FILE}",
            hint="a baseline is an evidence package written by `make validate` (it holds the snapshot)",
        )
    return dict(data)


def packages_of(evidence_root: Path, identity: PlatformIdentity) -> list[Path]:
    """The evidence packages of this platform (account, region, emulator instance) whose snapshot is
    sealed by their manifest, in run-id order; packages of another platform are never considered."""
    if not evidence_root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in evidence_root.iterdir() if p.is_dir() and not p.is_symlink()):
        if not (folder / SNAPSHOT_FILE).is_file() or not snapshot_sealed(folder):
            continue
        snap = _read_json(folder / SNAPSHOT_FILE) or {}
        if identity.same_platform(PlatformIdentity.from_dict(snap.get("platform") or {})):
            found.append(folder)
    return found


def find_baseline(evidence_root: Path, identity: PlatformIdentity) -> Baseline | None:
    """The latest approved package of this platform, else its latest passing one, else None."""
    approved: list[Path] = []
    passing: list[Path] = []
    for folder in packages_of(evidence_root, identity):
        if package_approved(folder):
            approved.append(folder)
        elif package_passed(folder):
            passing.append(folder)
    for kind, found in (("approved", approved), ("passing", passing)):
        if found:
            latest = max(found, key=lambda p: (_read_json(p / SNAPSHOT_FILE) or {}).get("taken", "") + p.name)
            return Baseline(latest, kind, load_snapshot(latest))
    return None


# ===================================================================================== record


@dataclasses.dataclass
class DriftResult:
    """A drift check: what was compared with what, and every change found."""

    checked: str
    platform: dict[str, Any]
    baseline: Baseline | None
    changes: list[Change]
    state_serial: int | None
    baseline_state_serial: int | None = None
    note: str = ""

    @property
    def drifted(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        if self.baseline is None:
            return f"no baseline for this platform yet: {self.note}".rstrip(": ")
        if not self.changes:
            return f"no drift against {self.baseline.kind} baseline {self.baseline.run_id}"
        return (
            f"drift: {len(self.changes)} change(s) in {len({c.resource for c in self.changes})} resource(s) "
            f"against {self.baseline.kind} baseline {self.baseline.run_id}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": RECORD_SCHEMA,
            "checked": self.checked,
            "platform": self.platform,
            "baseline": None
            if self.baseline is None
            else {
                "package": str(self.baseline.package),
                "run_id": self.baseline.run_id,
                "kind": self.baseline.kind,
                "taken": self.baseline.snapshot.get("taken"),
            },
            "state_serial": {"baseline": self.baseline_state_serial, "live": self.state_serial},
            "result": "no baseline" if self.baseline is None else ("drift" if self.changes else "no drift"),
            "summary": self.summary(),
            "note": self.note,
            "changes": [c.to_dict() for c in self.changes],
        }


def check(current: dict[str, Any], baseline: Baseline | None, *, note: str = "") -> DriftResult:
    """Compare a live snapshot with a baseline (refusing one of another platform)."""
    platform = current.get("platform") or {}
    if baseline is not None:
        theirs = PlatformIdentity.from_dict(baseline.snapshot.get("platform") or {})
        if not PlatformIdentity.from_dict(platform).same_platform(theirs):
            raise DriftError(
                f"baseline {baseline.package} belongs to another platform ({theirs.describe()}), "
                f"not to {PlatformIdentity.from_dict(platform).describe()}",
                hint="compare against a package of this platform (omit --baseline to use its latest)",
            )
    changes = compare(baseline.snapshot, current) if baseline is not None else []
    return DriftResult(
        checked=current.get("taken") or utc_now(),
        platform=dict(platform),
        baseline=baseline,
        changes=changes,
        state_serial=current.get("state_serial"),
        baseline_state_serial=None if baseline is None else baseline.snapshot.get("state_serial"),
        note=note,
    )


def write_record(result: DriftResult, folder: Path) -> list[Path]:
    """``drift.json`` and ``drift.html`` (for change control) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = result.to_dict()
    (folder / RECORD_JSON).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    (folder / RECORD_HTML).write_text(render_html(data), encoding="utf-8")
    return [folder / RECORD_JSON, folder / RECORD_HTML]


def render_html(data: Mapping[str, Any]) -> str:
    esc = html.escape
    base = data.get("baseline") or {}
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{esc(str(v))}</td>"
            for v in (
                c["resource_type"],
                c["resource_id"],
                c["attribute"] or "(resource)",
                c["change"],
                _short(c["before"]),
                _short(c["after"]),
            )
        )
        + "</tr>"
        for c in data.get("changes", [])
    )
    serial = data.get("state_serial") or {}
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drift record {esc(str(data.get("checked")))}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}}
.drift{{color:#b00}}.ok{{color:#070}}</style></head><body>
<h1>Drift record</h1>
<p class="{"drift" if data.get("changes") else "ok"}"><b>{esc(str(data.get("summary")))}</b></p>
<table>
<tr><th>Checked (UTC)</th><td>{esc(str(data.get("checked")))}</td></tr>
<tr><th>Platform</th><td>{esc(json.dumps(data.get("platform"), sort_keys=True))}</td></tr>
<tr><th>Baseline</th><td>{esc(str(base.get("run_id")))} ({esc(str(base.get("kind")))}, snapshot taken
{esc(str(base.get("taken")))})</td></tr>
<tr><th>Terraform state serial</th><td>baseline {esc(str(serial.get("baseline")))}, live
{esc(str(serial.get("live")))}</td></tr>
</table>
<h2>Changes ({len(data.get("changes", []))})</h2>
<table><tr><th>Type</th><th>AWS identifier</th><th>Attribute</th><th>Change</th><th>Baseline</th>
<th>Live</th></tr>{rows}</table>
<p>Change control: each change above is either recorded as an approved change (and a new qualified
baseline) or repaired (for example by <code>make apply</code>) and recorded as a deviation.</p>
</body></html>
"""


def raise_if_drifted(result: DriftResult) -> None:
    """The CLI's verdict: :class:`DriftFound` naming every change."""
    if result.drifted:
        lines = "\n".join(f"  - {c.describe()}" for c in result.changes)
        raise DriftFound(
            f"{result.summary()}:\n{lines}",
            hint="record the change under change control, or repair it with `make apply` "
            "(`make validate` records what its apply repaired as a deviation)",
        )


# ================================================================================= the command


def evidence_root(work_dir: Path) -> Path:
    """Where ``make validate`` writes its packages (and where baselines are looked for)."""
    return work_dir / "evidence"


def records_dir(work_dir: Path) -> Path:
    """Where ``make drift`` keeps its records for change control (beside the evidence packages)."""
    return evidence_root(work_dir) / "drift"


def given_baseline(package: str, target: Target) -> Baseline:
    """``--baseline``: an evidence folder, or an ``s3://`` copy in the evidence bucket."""
    import tempfile

    from harness.validation import PackageError
    from harness.validation import package as pkg

    if package.startswith("s3://"):
        tmp = Path(tempfile.mkdtemp(prefix="drift-baseline-"))
        try:
            folder = pkg.download_package(
                package, tmp / package.rstrip("/").rsplit("/", 1)[-1], s3_client=target.client("s3")
            )
        except PackageError as exc:
            raise DriftError(f"cannot read baseline {package}: {exc}") from exc
    else:
        folder = Path(package).resolve()  # evidence/latest names its run
    if not folder.is_dir():
        raise DriftError(f"baseline {package}: no such evidence folder", hint="name a folder under evidence/")
    if not snapshot_sealed(folder):
        raise DriftError(
            f"baseline {package}: its {SNAPSHOT_FILE} is missing or not sealed by its manifest",
            hint="a baseline must be a signed package written by `make validate`",
        )
    return Baseline(folder, "given", load_snapshot(folder))


def detect(
    target: Target,
    outputs: Mapping[str, Any],
    *,
    work_dir: Path,
    state_serial: int | None,
    baseline: str | None = None,
    progress: Progress | None = None,
) -> tuple[DriftResult, dict[str, Any] | None]:
    """Compare the live platform with its baseline. Returns the result and the live snapshot (None when
    this platform has no baseline yet: there is nothing to compare, so nothing is read)."""
    identity = identity_of(target)
    if baseline is not None:
        base: Baseline | None = given_baseline(baseline, target)
    else:
        base = find_baseline(evidence_root(work_dir), identity)
    if base is None:
        root = evidence_root(work_dir)
        note = f"no approved or passing evidence package of {identity.describe()} under {root}"
        failing = [p.name for p in packages_of(root, identity) if not package_passed(p)]
        if failing:
            note += f" ({len(failing)} of its packages did not pass: {', '.join(failing[-3:])})"
        empty = {"platform": identity.to_dict(), "taken": utc_now(), "state_serial": state_serial}
        return check(empty, None, note=note), None
    current = take_snapshot(target, outputs, state_serial=state_serial, progress=progress, identity=identity)
    return check(current, base), current


# ====================================================================== validate: deviations


#: The IQ requirements each kind of resource serves (a drift deviation is classified by their risk).
REQUIREMENTS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "kms_key": ("URS_018", "URS_019"),
    "s3_bucket": ("URS_004", "URS_005", "URS_006", "URS_007", "URS_008"),
    "iam_role": ("URS_001", "URS_002", "URS_003"),
    "vpc": ("URS_020", "URS_021"),
    "subnet": ("URS_020",),
    "route_table": ("URS_020", "URS_021"),
    "vpc_endpoint": ("URS_021",),
    "security_group": ("URS_020",),
    "flow_log": ("URS_022",),
    "log_group": ("URS_023",),
    "cloudtrail_trail": ("URS_024",),
    "sagemaker_model": ("URS_014",),
    "sagemaker_endpoint_config": ("URS_015", "URS_017"),
    "sagemaker_endpoint": ("URS_016",),
    "sagemaker_model_package_group": ("URS_012",),
}


def _live_value(snapshot: Mapping[str, Any], change: Change) -> tuple[bool, Any]:
    """(present, value) of the changed attribute (or resource) in a snapshot."""
    resource = (snapshot.get("resources") or {}).get(f"{change.resource_type}/{change.resource_id}")
    if resource is None or resource.get("absent"):
        return False, None
    if change.attribute is None:
        return True, resource
    value: Any = resource.get("attributes", {})
    path = change.attribute.split(".")
    for i, part in enumerate(path):
        if not isinstance(value, Mapping):
            return False, None
        if part not in value and ".".join(path[i:]) in value:  # a statement Sid may hold dots
            return True, value[".".join(path[i:])]
        value = value.get(part)
    return value is not None, value


def repaired(change: Change, baseline: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether the live platform matches the baseline again for this change."""
    if change.attribute is None:
        return _live_value(baseline, change)[0] == _live_value(after, change)[0]
    return _canonical(_live_value(baseline, change)) == _canonical(_live_value(after, change))


def deviations(result: DriftResult, *, stage: str = "drift") -> list[dict[str, Any]]:
    """One deviation of kind "drift" per change, naming the resource by its AWS identifier (the
    repair status is filled in by :func:`mark_repairs` once the run has converged the platform)."""
    if result.baseline is None:
        return []
    return [
        {
            "kind": "drift",
            "requirements": list(REQUIREMENTS_BY_TYPE.get(c.resource_type, ())),
            "expected": f"{c.resource} {c.attribute or ''} as qualified in baseline "
            f"{result.baseline.run_id}: {_short(c.before)}".replace("  ", " "),
            "observed": f"drift before apply: {c.describe()}",
            "stage": stage,
            "scenario": f"drift {c.resource}",
            "step": c.attribute,
            "resource": c.resource,
            "resource_type": c.resource_type,
            "resource_id": c.resource_id,
            "attribute": c.attribute,
            "before": c.before,
            "after": c.after,
            "baseline": result.baseline.run_id,
            "repaired": None,
            "message": c.describe(),
        }
        for c in result.changes
    ]


def mark_repairs(found: list[dict[str, Any]], result: DriftResult, after: Mapping[str, Any]) -> int:
    """Say, on each drift deviation, whether the run's apply repaired it (the live value equals the
    baseline's again). Returns how many were repaired."""
    if result.baseline is None:
        return 0
    by_key = {(c.resource_type, c.resource_id, c.attribute): c for c in result.changes}
    count = 0
    for d in found:
        change = by_key.get((d.get("resource_type"), d.get("resource_id"), d.get("attribute")))
        if d.get("kind") != "drift" or change is None:
            continue
        d["repaired"] = repaired(change, result.baseline.snapshot, after)
        now = _live_value(after, change)[1] if change.attribute else None
        d["observed"] = (
            f"drift before apply: {change.describe()}; "
            + ("repaired by the run's apply (the live value equals the baseline again)"
               if d["repaired"]
               else f"NOT repaired: after the run the live value is {_short(now)}")
        )  # fmt: skip
        d["message"] = d["observed"]
        count += bool(d["repaired"])
    return count
