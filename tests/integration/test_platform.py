"""The platform on the embedded local AWS: apply, inspect the live resources, re-plan, destroy, restart.

Every assertion reads the live system through boto3, never Terraform state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.progress import TerraformApplied, TerraformResource
from harness.provisioning import Layout, Platform
from harness.target import Target
from harness.terraform import Plan
from tests.integration.conftest import PREFIX, Applied, SharedPlatform, project_buckets, project_roles

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _policy_statements(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, str):
        doc = json.loads(doc)
    statements = doc.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture
def platform(applied: Applied) -> Platform:
    """The platform applied once for the end-to-end tests (tests/integration/conftest.py)."""
    return applied.platform


@pytest.fixture
def outputs(applied: Applied) -> dict[str, Any]:
    """Its Terraform outputs (read once per apply): they only locate the resources the tests read."""
    return applied.outputs


def test_apply_converges_with_progress(applied: Applied) -> None:
    result = applied.result
    assert result.planned > 40
    assert result.done == result.planned
    steps = applied.progress.of(TerraformResource)
    assert steps and (steps[-1].done, steps[-1].total) == (result.planned, result.planned)
    [applied_event] = applied.progress.of(TerraformApplied)
    assert (applied_event.done, applied_event.planned) == (result.done, result.planned)
    # the plan's own stream counted the steps: no `terraform show` of the plan
    assert [c for c in applied.commands if c != "init"] == ["plan", "apply"], applied.commands


def test_kms_keys_rotate_and_policies_have_no_star_principal(
    platform: Platform, local_target: Target
) -> None:
    kms = local_target.client("kms")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    ours = {name: key for name, key in aliases.items() if name.startswith(f"alias/{PREFIX}-")}
    assert len(ours) >= 5, ours
    symmetric = 0
    for key_id in ours.values():
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert meta["KeyState"] == "Enabled"
        assert meta["KeyManager"] == "CUSTOMER"
        if meta["KeySpec"] == "SYMMETRIC_DEFAULT":
            symmetric += 1
            assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
        else:
            assert meta["KeySpec"] in ("RSA_3072", "RSA_4096") and meta["KeyUsage"] == "SIGN_VERIFY"
        policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
        for st in _policy_statements(policy):
            if st.get("Effect") == "Deny":
                continue  # a Deny to "*" binds everyone (deletion, PutKeyPolicy): that is the control
            principal = st.get("Principal")
            assert principal != "*" and "*" not in _as_list((principal or {}).get("AWS", [])), st
    assert symmetric >= 4


def test_buckets_encrypted_versioned_private_tls_only(outputs: dict[str, Any], local_target: Target) -> None:
    s3 = local_target.client("s3")
    data_key = outputs["kms_key_arns"]["data"]
    for bucket in (outputs["data_lake_bucket"], outputs["evidence_bucket"], outputs["access_log_bucket"]):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(
            pab[k]
            for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        )
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        sse = rule["ApplyServerSideEncryptionByDefault"]
        if bucket != outputs["access_log_bucket"]:
            assert sse["SSEAlgorithm"] == "aws:kms"
            assert sse["KMSMasterKeyID"] == data_key
            assert (
                s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetBucket"]
                == outputs["access_log_bucket"]
            )
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        assert any(
            st["Effect"] == "Deny"
            and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
            for st in _policy_statements(policy)
        )
    lock = s3.get_object_lock_configuration(Bucket=outputs["evidence_bucket"])["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert lock["Rule"]["DefaultRetention"]["Mode"] in ("GOVERNANCE", "COMPLIANCE")


def test_plain_http_is_denied_by_the_tls_only_policy(outputs: dict[str, Any], local_target: Target) -> None:
    bucket = outputs["data_lake_bucket"]
    https = local_target.client("s3")
    https.put_object(Bucket=bucket, Key="processed/ml/tls-probe.csv", Body=b"1,2,3,4\n")
    http = local_target.client("s3", endpoint_url=local_target.endpoint_url.replace("https://", "http://"))
    with pytest.raises(Exception) as info:
        http.get_object(Bucket=bucket, Key="processed/ml/tls-probe.csv")
    assert "AccessDenied" in str(info.value)
    https.delete_object(Bucket=bucket, Key="processed/ml/tls-probe.csv")


def test_execution_role_trusts_only_sagemaker_and_grants_no_star_action(
    outputs: dict[str, Any], local_target: Target
) -> None:
    iam = local_target.client("iam")
    name = outputs["execution_role_arn"].split("/")[-1]
    role = iam.get_role(RoleName=name)["Role"]
    trust = _policy_statements(role["AssumeRolePolicyDocument"])
    assert [st["Principal"] for st in trust] == [{"Service": "sagemaker.amazonaws.com"}]
    documents = [
        iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
        for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
    ]
    for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        pol = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=pol["DefaultVersionId"])
        documents.append(version["PolicyVersion"]["Document"])
        assert "FullAccess" not in attached["PolicyName"]
    assert documents
    for doc in documents:
        for st in _policy_statements(doc):
            for action in _as_list(st.get("Action", [])):
                assert action != "*" and not action.endswith(":*"), st


def test_network_is_private_with_endpoints(outputs: dict[str, Any], local_target: Target) -> None:
    ec2 = local_target.client("ec2")
    vpc_id = outputs["vpc_id"]
    subnets = ec2.describe_subnets(SubnetIds=outputs["private_subnet_ids"])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) >= 2
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets)
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    assert igws["InternetGateways"] == []
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    assert [n for n in nats if n["State"] != "deleted"] == []
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    services = {e["ServiceName"].split(".", 3)[-1] for e in endpoints}
    expected = {"s3", "sagemaker.api", "sagemaker.runtime", "logs", "sts", "kms", "ecr.api", "ecr.dkr"}
    assert expected <= services, services
    flow_logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert flow_logs


def test_log_groups_encrypted_with_retention(platform: Platform, local_target: Target) -> None:
    logs = local_target.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/sagemaker/")["logGroups"]
    names = {g["logGroupName"] for g in groups}
    assert {"/aws/sagemaker/TrainingJobs", "/aws/sagemaker/Endpoints/dropout-inference"} <= names
    for group in groups:
        assert group.get("kmsKeyId"), group
        assert group.get("retentionInDays", 0) >= 365


def test_trail_validates_log_files(outputs: dict[str, Any], local_target: Target) -> None:
    ct = local_target.client("cloudtrail")
    trail_arn = outputs["trail_arn"]
    trail = ct.get_trail(Name=trail_arn)["Trail"]
    assert trail["LogFileValidationEnabled"] is True
    assert trail["IsMultiRegionTrail"] is True
    assert trail.get("KmsKeyId")
    assert ct.get_trail_status(Name=trail_arn)["IsLogging"] is True


def test_second_apply_and_plan_change_nothing(platform: Platform) -> None:
    """A second apply plans (refreshing every resource) and finds nothing to do: its plan is the one a
    ``plan`` would show (the same call), so one refresh proves both."""
    again = platform.apply()
    assert again.planned == 0
    plan = platform.converged_plan
    assert plan is not None and plan.pending == [] and not plan.has_changes, [
        f"{rc.address}: {rc.actions}" for rc in (plan.pending if plan else [])
    ]


def test_destroy_leaves_nothing(
    work_layout: Layout, emulator_dir: Path, shared_platform: SharedPlatform
) -> None:
    """Destroys the fully applied platform the tests above read (its one apply); runs before the restart
    test below, so that a restart needs no second apply of the whole platform to leave one here."""
    from harness import target as targets

    target = targets.resolve("local", state_dir=emulator_dir, environ={})
    shared_platform.spend()
    Platform(target, layout=work_layout).destroy()
    assert project_buckets(target) == []
    assert project_roles(target) == []
    kms = target.client("kms")
    for key in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        assert meta["KeyState"] in ("PendingDeletion",), meta
    ec2 = target.client("ec2")
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    assert vpcs == []
    logs = target.client("logs")
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/sagemaker/")["logGroups"] == []
    assert target.client("cloudtrail").describe_trails()["trailList"] == []
    sm = target.client("sagemaker")
    assert sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


def test_restarted_emulator_is_empty_and_the_platform_plans_from_scratch(
    local_target: Target,
    emulator_dir: Path,
    work_layout: Layout,
    shared_platform: SharedPlatform,
) -> None:
    """A graceful restart (``make down``, ``make up``) on the same port is a new emulator instance that holds
    nothing of the old one's, and the platform's recorded state still plans the whole platform against it.

    Runs after ``test_destroy_leaves_nothing``, on what the destroy left: the platform's keys waiting out
    their deletion window (which the restart must lose) and a state without resources, which belongs to any
    instance, so it is kept and recorded for the new one instead of set aside. That a state holding
    resources of a stopped instance is set aside and ``apply`` converges from scratch on a new emulator is
    proven by tests/faults/test_1_apply_faults.py::
    test_emulator_killed_during_apply_fails_clearly_then_apply_converges (and the set-aside after a kill
    during train by tests/faults/test_4_emulator_killed_in_train.py); a full apply here would prove it a
    second time.
    The plan is also the chain's cold plan: its stream must count what its JSON counts.
    """
    from harness import target as targets
    from harness.emulator import control

    before = targets.resolve("local", state_dir=emulator_dir, environ={})
    assert before.emulator is not None
    port, instance = before.emulator.port, before.emulator.instance_id
    assert before.client("kms").list_keys()["Keys"], "the destroyed platform's keys should still be listed"
    state_file = work_layout.state_dir(before.name) / "terraform.tfstate"
    assert state_file.is_file() and not json.loads(state_file.read_text()).get("resources")

    assert control.stop(emulator_dir)
    shared_platform.spend()
    assert not control.status(emulator_dir).running
    control.start(port=port, state_dir=emulator_dir)
    fresh = targets.resolve("local", state_dir=emulator_dir, environ={})
    assert fresh.emulator is not None and fresh.endpoint_url == local_target.endpoint_url
    assert fresh.emulator.instance_id != instance
    assert fresh.client("kms").list_keys()["Keys"] == []  # the emulator lost its state
    assert project_buckets(fresh) == [] and project_roles(fresh) == []

    plan = Platform(fresh, layout=work_layout).plan()
    assert plan.streamed and not plan.loaded  # a cold plan's steps come from its own stream...
    summary = plan.summary()
    assert summary["add"] > 40 and summary["change"] == summary["destroy"] == 0, summary
    fresh_steps = (("create",), ("read",))  # resources created, data sources read at apply
    assert all(rc.actions in fresh_steps for rc in plan.pending), [
        f"{rc.address}: {rc.actions}" for rc in plan.pending if rc.actions not in fresh_steps
    ]
    # ...and count what its JSON (read now, once) counts
    shown = Plan(plan.path, plan.data)
    assert sorted((rc.address, sorted(rc.actions)) for rc in plan.pending) == sorted(
        (rc.address, sorted(rc.actions)) for rc in shown.pending
    )
    assert (plan.total_steps, plan.summary(), sorted(plan.output_changes)) == (
        shown.total_steps,
        shown.summary(),
        sorted(shown.output_changes),
    )
    assert not list(state_file.parent.glob("terraform.tfstate.stale-*")), "an empty state was set aside"
    assert state_file.with_name("emulator.id").read_text().strip() == fresh.emulator.instance_id
