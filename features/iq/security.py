"""Steps of the security scenarios (security.feature): key custody, validated-environment guards, S3 data
events, endpoint policies, security alarms, personas. Each reads the live setting through boto3;
thresholds come from the specification."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable
from typing import Any

from pytest_bdd import given, parsers, then

from features.support import (
    Clients,
    as_list,
    policy_statements,
    principal_is_wildcard,
    read_objects,
    threshold,
)


def _key_policy(aws: Clients, key_arn: str) -> list[dict[str, Any]]:
    return policy_statements(aws("kms").get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])


def _principal_arns(statement: dict[str, Any]) -> list[str]:
    """Who a key-policy statement names: its AWS principals, or the aws:PrincipalArn it is limited to."""
    named: list[str] = []
    for values in (statement.get("Condition") or {}).values():
        named += as_list(values.get("aws:PrincipalArn"))
    if named:
        return named
    return [str(p) for p in as_list((statement.get("Principal") or {}).get("AWS"))]


def _signers(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if s.get("Effect") == "Allow" and "kms:Sign" in as_list(s.get("Action"))]


@then("the signing key is RSA with at least the specified number of bits")
def rsa_signing_key_strength(kms_key: dict[str, Any], evidence: Any) -> None:
    meta = kms_key["metadata"]
    minimum = int(threshold("URS_057", "signing_key_min_bits"))
    shown = {k: meta.get(k) for k in ("KeyId", "KeySpec", "KeyUsage", "KeyManager", "SigningAlgorithms")}
    shown["signing_key_min_bits"] = minimum
    evidence.attach("KeySpec", shown)
    family, _, bits = meta["KeySpec"].partition("_")
    assert family == "RSA" and int(bits) >= minimum, shown
    assert meta["KeyUsage"] == "SIGN_VERIFY" and meta["KeyManager"] == "CUSTOMER", shown


@then("only the approver role and the named reviewers may sign with the key")
def approvals_key_signers(
    kms_key: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    signers = _signers(_key_policy(aws, kms_key["arn"]))
    named = sorted({arn for st in signers for arn in _principal_arns(st)})
    signing_key = outputs["kms_key_arns"]["signing"]
    evidence_signers = sorted(
        {a for s in _signers(_key_policy(aws, signing_key)) for a in _principal_arns(s)}
    )
    evidence.attach("ApprovalsKeySigners", named)
    evidence.attach("EvidenceKeySigners", evidence_signers)
    unconditioned = [s for s in signers if principal_is_wildcard(s.get("Principal")) and "Condition" not in s]
    assert signers and not unconditioned, signers
    assert outputs["approver_role_arn"] in named, named
    assert not any(a.endswith(":root") for a in named), named
    assert outputs["approver_role_arn"] not in evidence_signers, evidence_signers


# ================================================================================= key custody (URS_050)

ADMIN_ACTIONS = {"kms:*", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"}


def _account_root(outputs: dict[str, Any], partition: str = "aws") -> set[str]:
    return {f"arn:{partition}:iam::{outputs['account_id']}:root", str(outputs["account_id"])}


def _deny_exempting(statements: list[dict[str, Any]], actions: set[str]) -> list[dict[str, Any]]:
    """Deny statements to every principal ("*") covering ``actions``, exempting aws:PrincipalArn values."""
    found = []
    for st in statements:
        if st.get("Effect") != "Deny" or not principal_is_wildcard(st.get("Principal")):
            continue
        if not actions <= set(as_list(st.get("Action"))):
            continue
        exempt = (st.get("Condition") or {}).get("ArnNotEquals", {}).get("aws:PrincipalArn")
        if exempt:
            found.append(st)
    return found


@then("the key policy gives the account root no administrative action")
def key_root_not_admin(kms_key: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    statements = _key_policy(aws, kms_key["arn"])
    root = _account_root(outputs, kms_key["arn"].split(":")[1])
    offending = [
        st
        for st in statements
        if st.get("Effect") == "Allow"
        and root & set(as_list((st.get("Principal") or {}).get("AWS")))
        and not (st.get("Condition") or {})
        and ADMIN_ACTIONS & set(as_list(st.get("Action")))
    ]
    evidence.attach("KeyPolicy", statements)
    evidence.attach("RootStatementsWithAdministrativeActions", offending)
    assert not offending, offending


@then(
    "the key policy denies scheduling the key's deletion and disabling it "
    "to all but the break-glass principals"
)
def key_deletion_denied(kms_key: dict[str, Any], aws: Clients, evidence: Any) -> None:
    denies = _deny_exempting(_key_policy(aws, kms_key["arn"]), {"kms:ScheduleKeyDeletion", "kms:DisableKey"})
    evidence.attach("DenyStatements", denies)
    assert len(denies) == 1, denies
    exempt = as_list(denies[0]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])
    evidence.attach("BreakGlassPrincipals", exempt)
    assert exempt and not any("*" in a or a.endswith(":root") for a in exempt), exempt


@then("the key policy denies replacing it to all but the key administrators")
def key_policy_change_denied(kms_key: dict[str, Any], aws: Clients, evidence: Any) -> None:
    statements = _key_policy(aws, kms_key["arn"])
    denies = _deny_exempting(statements, {"kms:PutKeyPolicy"})
    admins = [
        st
        for st in statements
        if st.get("Effect") == "Allow" and "kms:PutKeyPolicy" in as_list(st.get("Action"))
    ]
    evidence.attach("DenyStatements", denies)
    evidence.attach("AdministratorStatements", admins)
    assert len(denies) == 1, denies
    exempt = set(as_list(denies[0]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]))
    named = {a for st in admins for a in _principal_arns(st)}
    assert named and named <= exempt, {"administrators": sorted(named), "exempt": sorted(exempt)}


@then(
    "IAM's simulator denies the auditor role ScheduleKeyDeletion and DisableKey on the key "
    "even with kms:* allowed"
)
def key_deletion_simulated(
    kms_key: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    policy = aws("kms").get_key_policy(KeyId=kms_key["arn"], PolicyName="default")["Policy"]
    everything = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    )
    answer = aws("iam").simulate_principal_policy(
        PolicySourceArn=outputs["auditor_role_arn"],
        PolicyInputList=[everything],
        ActionNames=["kms:ScheduleKeyDeletion", "kms:DisableKey"],
        ResourceArns=[kms_key["arn"]],
        ResourcePolicy=policy,
        ResourceOwner=f"arn:aws:iam::{outputs['account_id']}:root",
    )
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in answer["EvaluationResults"]}
    evidence.attach(
        "SimulatePrincipalPolicy", {"caller": outputs["auditor_role_arn"], "decisions": decisions}
    )
    assert decisions == {"kms:ScheduleKeyDeletion": "explicitDeny", "kms:DisableKey": "explicitDeny"}, (
        decisions
    )


# ================================================================================ evidence lock (URS_051)


def _as_validation(target: Any, outputs: dict[str, Any]) -> Any:
    """The validation role's session: the suite's own when it runs as that role (the qualification runs
    IQ so), else one assumed for the check."""
    from harness import identity

    role = outputs["validation_role_arn"]
    if identity.caller(target).acts_as(role):
        return target
    return identity.assume(target, role, "iq-negative", purpose="negative test as the validation role")


@then("the validation role is refused changing the bucket's Object Lock configuration and its policy")
def evidence_lock_unchangeable(
    bucket: str, outputs: dict[str, Any], aws: Clients, target: Any, evidence: Any
) -> None:
    from features import personas

    s3 = _as_validation(target, outputs).client("s3")
    lock_before = aws("s3").get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    policy_before = aws("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    weaker = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    attempts = [
        personas.attempt(
            "PutObjectLockConfiguration",
            lambda: s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=weaker),
        ),
        personas.attempt(
            "PutBucketPolicy",
            lambda: s3.put_bucket_policy(
                Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": []})
            ),
        ),
    ]
    lock_after = aws("s3").get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    policy_after = aws("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    evidence.attach("Attempts", [a.evidence() for a in attempts])
    evidence.attach("Unchanged", {"lock": lock_after == lock_before, "policy": policy_after == policy_before})
    assert all(not a.allowed for a in attempts), [a.evidence() for a in attempts]
    assert lock_after == lock_before and policy_after == policy_before


# ================================================================================ S3 data events (URS_052)


def _trail_selectors(trail: dict[str, Any], aws: Clients) -> list[dict[str, Any]]:
    answer = aws("cloudtrail").get_event_selectors(TrailName=trail["TrailARN"])
    return answer.get("AdvancedEventSelectors") or []


def _fields(selector: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["Field"]: f for f in selector.get("FieldSelectors", [])}


def _delivery_prefix(trail: dict[str, Any]) -> str:
    prefix = trail.get("S3KeyPrefix") or ""
    return f"arn:aws:s3:::{trail['S3BucketName']}/" + (f"{prefix}/" if prefix else "")


@then("the trail logs all management events")
def trail_management_events(trail: dict[str, Any], aws: Clients, evidence: Any) -> None:
    selectors = _trail_selectors(trail, aws)
    evidence.attach("AdvancedEventSelectors", selectors)
    management = [s for s in selectors if _fields(s).get("eventCategory", {}).get("Equals") == ["Management"]]
    assert any(set(_fields(s)) == {"eventCategory"} for s in management), selectors


@then("the trail logs S3 data events of the data lake and evidence buckets except its own delivery prefix")
def trail_data_events(trail: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    selectors = _trail_selectors(trail, aws)
    buckets = {f"arn:aws:s3:::{outputs['data_lake_bucket']}/", f"arn:aws:s3:::{outputs['evidence_bucket']}/"}
    data = [
        _fields(s)
        for s in selectors
        if _fields(s).get("eventCategory", {}).get("Equals") == ["Data"]
        and _fields(s).get("resources.type", {}).get("Equals") == ["AWS::S3::Object"]
    ]
    evidence.attach("DataEventSelectors", data)
    evidence.attach("Expected", {"starts_with": sorted(buckets), "not_starts_with": _delivery_prefix(trail)})
    assert len(data) == 1, data
    arn = data[0].get("resources.ARN", {})
    assert set(arn.get("StartsWith", [])) == buckets, arn
    assert _delivery_prefix(trail) in arn.get("NotStartsWith", []), arn
    assert "readOnly" not in data[0], "reads and writes must both be logged"


@then("no delivered log file of the trail records a data event under the trail's delivery prefix")
def trail_no_self_events(trail: dict[str, Any], aws: Clients, evidence: Any) -> None:
    hours = float(threshold("URS_052", "window_hours", _environment(trail, aws)))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    prefix = (trail.get("S3KeyPrefix") or "").strip("/")
    bucket = trail["S3BucketName"]
    s3 = aws("s3")
    files, self_events, data_events = [], [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{prefix}/AWSLogs/" if prefix else "AWSLogs/"
    ):
        for obj in page.get("Contents", []):
            if "/CloudTrail/" not in obj["Key"] or obj["LastModified"] < since:
                continue
            files.append(obj["Key"])
    for body in read_objects(s3, bucket, files):
        for record in json.loads(gzip.decompress(body)).get("Records", []):
            if record.get("eventCategory") != "Data":
                continue
            data_events += 1
            arns = [r.get("ARN", "") for r in record.get("resources", [])]
            if any(a.startswith(_delivery_prefix(trail)) for a in arns):
                self_events.append({"eventName": record.get("eventName"), "resources": arns})
    evidence.attach(
        "DeliveredLogFiles",
        {
            "window_hours": hours,
            "files": len(files),
            "data_events": data_events,
            "on_delivery_prefix": self_events,
        },
    )
    assert files, f"the trail delivered no log file within {hours} h"
    assert not self_events, self_events


def _environment(trail: dict[str, Any], aws: Clients) -> str | None:
    tags = aws("cloudtrail").list_tags(ResourceIdList=[trail["TrailARN"]]).get("ResourceTagList", [])
    pairs = tags[0].get("TagsList", []) if tags else []
    return next((t["Value"] for t in pairs if t["Key"] == "Environment"), None)


# ============================================================================== endpoint policies (URS_053)


def _endpoint_policy(endpoint: dict[str, Any]) -> list[dict[str, Any]]:
    return policy_statements(endpoint.get("PolicyDocument") or "{}")


@then(
    "the endpoint policy allows only the platform's buckets for the platform's account "
    "and the region's ECR image layers"
)
def s3_endpoint_policy(vpc_endpoint: dict[str, Any], outputs: dict[str, Any], evidence: Any) -> None:
    statements = _endpoint_policy(vpc_endpoint)
    evidence.attach("PolicyDocument", statements)
    platform = {outputs[k] for k in ("data_lake_bucket", "evidence_bucket", "access_log_bucket")}
    layers = f"prod-{outputs['region']}-starport-layer-bucket"
    allows = [s for s in statements if s.get("Effect") == "Allow"]
    assert allows, "the endpoint has no policy (AWS's default allows everything)"
    for st in allows:
        actions = as_list(st.get("Action"))
        assert "*" not in actions and "s3:*" not in actions, st
        buckets = {r.split(":::", 1)[1].split("/", 1)[0] for r in as_list(st.get("Resource"))}
        if buckets <= platform:
            account = (st.get("Condition") or {}).get("StringEquals", {}).get("aws:PrincipalAccount")
            assert as_list(account) == [str(outputs["account_id"])], st
        else:
            assert buckets == {layers} and actions == ["s3:GetObject"], st


@then("every interface endpoint's policy allows only its service's actions to the platform's account")
def interface_endpoint_policies(
    vpc: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    endpoints = aws("ec2").describe_vpc_endpoints(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
            {"Name": "vpc-endpoint-type", "Values": ["Interface"]},
        ]
    )["VpcEndpoints"]
    shown = {e["ServiceName"]: _endpoint_policy(e) for e in endpoints}
    evidence.attach("InterfaceEndpointPolicies", shown)
    assert endpoints, "the VPC has no interface endpoint"
    for service, statements in shown.items():
        prefix = service.rsplit(".", 2 if service.endswith((".api", ".runtime", ".dkr")) else 1)[1]
        allows = [s for s in statements if s.get("Effect") == "Allow"]
        assert allows, f"{service}: no policy (AWS's default allows everything)"
        for st in allows:
            assert set(as_list(st.get("Action"))) == {f"{prefix}:*"}, (service, st)
            account = (st.get("Condition") or {}).get("StringEquals", {}).get("aws:PrincipalAccount")
            assert as_list(account) == [str(outputs["account_id"])], (service, st)


# ================================================================================ security alarms (URS_054)


@then(
    parsers.parse("the trail's log group has a metric filter and an enabled alarm for each security event:"),
)
def security_alarms(
    trail: dict[str, Any], outputs: dict[str, Any], aws: Clients, datatable: Any, evidence: Any
) -> None:
    events = [row[0] for row in datatable[1:]]
    group = trail["CloudWatchLogsLogGroupArn"].split(":log-group:", 1)[1].removesuffix(":*")
    filters = aws("logs").describe_metric_filters(logGroupName=group)["metricFilters"]
    metrics = {
        t["metricName"]: (t["metricNamespace"], f["filterPattern"])
        for f in filters
        for t in f["metricTransformations"]
    }
    alarms = aws("cloudwatch").describe_alarms(AlarmNamePrefix=f"{outputs['name_prefix']}-security-")[
        "MetricAlarms"
    ]
    topic = _alarm_topic(outputs, aws)
    by_metric = {(a["Namespace"], a["MetricName"]): a for a in alarms}
    shown = {}
    for event in events:
        namespace, pattern = metrics.get(event, (None, None))
        alarm = by_metric.get((namespace, event))
        shown[event] = {
            "filter_pattern": pattern,
            "alarm": alarm and alarm["AlarmName"],
            "actions_enabled": alarm and alarm["ActionsEnabled"],
            "alarm_actions": alarm and alarm["AlarmActions"],
        }
    evidence.attach("SecurityAlarms", {"log_group": group, "topic": topic, "events": shown})
    for event, seen in shown.items():
        assert seen["filter_pattern"], f"no metric filter for {event} on {group}"
        assert seen["alarm"] and seen["actions_enabled"], f"no enabled alarm for {event}"
        assert topic in seen["alarm_actions"], (event, seen)


def _alarm_topic(outputs: dict[str, Any], aws: Clients) -> str:
    name = f"{outputs['name_prefix']}-alarms"
    topics = [t["TopicArn"] for t in aws("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f":{name}")]
    assert topics, f"no topic {name}"
    return topics[0]


@then(parsers.parse("the alarm topic is encrypted with the KMS key for {purpose}"))
def alarm_topic_encrypted(
    purpose: str,
    outputs: dict[str, Any],
    aws: Clients,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    attributes = aws("sns").get_topic_attributes(TopicArn=_alarm_topic(outputs, aws))["Attributes"]
    evidence.attach("TopicAttributes", {k: attributes.get(k) for k in ("TopicArn", "KmsMasterKeyId")})
    assert attributes.get("KmsMasterKeyId"), "the alarm topic is not encrypted"
    evidence.attach("KeyCompared", key_matches(attributes["KmsMasterKeyId"], key_arn_for(purpose)))


@then("the trail's delivery notifications do not go to the alarm topic")
def trail_notifications_elsewhere(
    trail: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    alarm_topic = _alarm_topic(outputs, aws)
    shown = {k: trail.get(k) for k in ("Name", "SnsTopicName", "SnsTopicARN")}
    shown["alarm_topic"] = alarm_topic
    evidence.attach("Trail", shown)
    assert trail.get("SnsTopicARN") != alarm_topic, shown
    assert trail.get("SnsTopicName") not in (alarm_topic, alarm_topic.rsplit(":", 1)[-1]), shown


# ======================================================================================= personas (URS_055)

#: persona -> output holding its role's ARN
PERSONA_ROLES = {
    "auditor": "auditor_role_arn",
    "validation": "validation_role_arn",
    "data scientist": "data_scientist_role_arn",
    "approver": "approver_role_arn",
}


@given("the persona roles", target_fixture="personas")
def persona_roles(outputs: dict[str, Any], aws: Clients) -> dict[str, dict[str, Any]]:
    roles = {}
    for persona, output in PERSONA_ROLES.items():
        assert outputs.get(output), f"the platform has no {persona} role (output {output})"
        roles[persona] = aws("iam").get_role(RoleName=outputs[output].rsplit("/", 1)[-1])["Role"]
    return roles


def _trust(role: dict[str, Any]) -> list[dict[str, Any]]:
    return policy_statements(role["AssumeRolePolicyDocument"])


@then("each persona role can be assumed only by named IAM roles or users of known accounts")
def persona_trust_named(personas: dict[str, dict[str, Any]], evidence: Any) -> None:
    shown = {p: _trust(r) for p, r in personas.items()}
    evidence.attach("TrustPolicies", shown)
    for persona, statements in shown.items():
        allows = [s for s in statements if s.get("Effect") == "Allow"]
        assert allows, f"nobody may assume the {persona} role"
        for st in allows:
            assert "NotPrincipal" not in st, (persona, st)
            principal = st.get("Principal")
            assert isinstance(principal, dict) and set(principal) == {"AWS"}, (persona, st)
            for arn in as_list(principal["AWS"]):
                assert "*" not in arn and not arn.endswith(":root") and ":iam::" in arn, (persona, arn)
                assert arn.split(":", 5)[5].startswith(("role/", "user/")), (persona, arn)
            accounts = (st.get("Condition") or {}).get("StringEquals", {}).get("aws:PrincipalAccount")
            assert accounts, (persona, "no aws:PrincipalAccount condition")


@then("the auditor role requires MFA as the specification sets for the platform's environment")
def auditor_mfa(personas: dict[str, dict[str, Any]], aws: Clients, evidence: Any) -> None:
    role = personas["auditor"]
    environment = next((t["Value"] for t in role.get("Tags", []) if t["Key"] == "Environment"), None)
    if environment is None:
        tags = aws("iam").list_role_tags(RoleName=role["RoleName"])["Tags"]
        environment = next((t["Value"] for t in tags if t["Key"] == "Environment"), None)
    required = threshold("URS_055", "auditor_mfa", environment)
    required = required if isinstance(required, bool) else str(required).lower() == "true"
    conditions = [
        (s.get("Condition") or {}).get("Bool", {}).get("aws:MultiFactorAuthPresent") for s in _trust(role)
    ]
    evidence.attach(
        "AuditorMfa",
        {"environment_tag": environment, "required": required, "trust_conditions": conditions},
    )
    if required:
        assert conditions and all(as_list(c) == ["true"] for c in conditions), conditions


@then("a validation session is refused assuming the approver role")
def no_persona_chaining(outputs: dict[str, Any], target: Any, evidence: Any) -> None:
    from features import personas

    sts = _as_validation(target, outputs).client("sts")
    attempt = personas.attempt(
        "AssumeRole (approver)",
        lambda: sts.assume_role(RoleArn=outputs["approver_role_arn"], RoleSessionName="iq-negative-chain"),
    )
    evidence.attach("Attempt", attempt.evidence())
    assert not attempt.allowed and attempt.code in personas.DENIED, attempt.evidence()


# ============================================================================================ TLS (URS_056)


@then("the bucket policy denies every request sent without TLS or with TLS older than the specified version")
def bucket_tls_minimum(bucket: str, aws: Clients, evidence: Any) -> None:
    statements = policy_statements(aws("s3").get_bucket_policy(Bucket=bucket)["Policy"])
    minimum = str(threshold("URS_056", "min_tls_version"))
    resources = {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}

    def denies(operator: str, key: str, value: str) -> list[dict[str, Any]]:
        return [
            s
            for s in statements
            if s.get("Effect") == "Deny"
            and principal_is_wildcard(s.get("Principal"))
            and "s3:*" in as_list(s.get("Action"))
            and resources <= set(as_list(s.get("Resource")))
            and [str(v) for v in as_list((s.get("Condition") or {}).get(operator, {}).get(key))] == [value]
        ]

    plain, old = (
        denies("Bool", "aws:SecureTransport", "false"),
        denies("NumericLessThan", "s3:TlsVersion", minimum),
    )
    evidence.attach("TlsDenies", {"plain_http": plain, "tls_below": old, "min_tls_version": minimum})
    assert plain and old, statements


# ========================================================================================== zones (URS_058)


@then("every private subnet lies in an available zone of the region, across the specified number of zones")
def subnets_in_available_zones(
    vpc: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    zones = aws("ec2").describe_availability_zones(Filters=[{"Name": "state", "Values": ["available"]}])
    available = {
        z["ZoneName"]
        for z in zones["AvailabilityZones"]
        if z.get("RegionName", outputs["region"]) == outputs["region"]
    }
    subnets = aws("ec2").describe_subnets(SubnetIds=outputs["private_subnet_ids"])["Subnets"]
    placed = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}
    minimum = int(threshold("URS_058", "min_zones"))
    evidence.attach("Zones", {"available": sorted(available), "subnets": placed, "min_zones": minimum})
    assert set(placed.values()) <= available, placed
    assert len(set(placed.values())) >= minimum, placed


# ======================================================================================== KMS use (URS_059)


def _role_statements(aws: Clients, role_name: str) -> list[dict[str, Any]]:
    iam = aws("iam")
    statements = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        statements += policy_statements(
            iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        )
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(
            PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
        )
        statements += policy_statements(version["PolicyVersion"]["Document"])
    return statements


@then("every KMS permission of the role is limited by kms:ViaService to S3, SageMaker and EC2 of the region")
def execution_kms_via_service(
    role: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    region = outputs["region"]
    allowed = {f"{s}.{region}.amazonaws.com" for s in ("s3", "sagemaker", "ec2")}
    kms = [
        s
        for s in _role_statements(aws, role["RoleName"])
        if s.get("Effect") == "Allow"
        and any(a.startswith("kms:") and a != "kms:DescribeKey" for a in as_list(s.get("Action")))
    ]
    evidence.attach("KmsStatements", kms)
    assert kms, "the execution role names no KMS permission"
    for st in kms:
        via = set(as_list((st.get("Condition") or {}).get("StringEquals", {}).get("kms:ViaService")))
        assert via and via <= allowed, st


@then("grants may be created only for AWS resources")
def execution_grants_for_aws(role: dict[str, Any], aws: Clients, evidence: Any) -> None:
    grants = [
        s
        for s in _role_statements(aws, role["RoleName"])
        if s.get("Effect") == "Allow" and "kms:CreateGrant" in as_list(s.get("Action"))
    ]
    evidence.attach("CreateGrantStatements", grants)
    assert grants, "the execution role cannot create grants (ML storage volumes need them)"
    for st in grants:
        assert as_list((st.get("Condition") or {}).get("Bool", {}).get("kms:GrantIsForAWSResource")) == [
            "true"
        ], st
