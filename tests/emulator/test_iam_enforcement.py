"""IAM evaluated by the running emulator: sessions and users are authorised, admins stay unrestricted.

Fails with ``EMULATOR_DISABLE_FIXES=iam_policy_evaluation`` (every call is allowed) and
``...=iam_policy_simulation`` (SimulatePrincipalPolicy is not implemented).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.emulator import control

REGION = "eu-central-1"
ACCOUNT = "123456789012"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/moto"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(principal: str = ADMIN, **extra: Any) -> str:
    action = ["sts:AssumeRole", "sts:SetSourceIdentity"]
    return _doc({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, **extra})


@pytest.fixture(scope="module")
def as_keys(emulator: control.EmulatorInfo) -> Callable[..., Any]:
    """``as_keys(creds)("s3")``: a client signed with the given credentials."""
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})

    def session(creds: dict[str, str]) -> Callable[[str], Any]:
        def client(service: str) -> Any:
            return boto3.client(
                service,
                region_name=REGION,
                endpoint_url=emulator.endpoint_url,
                verify=str(emulator.ca_bundle),
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds.get("SessionToken"),
                config=config,
            )

        return client

    return session


@pytest.fixture
def role(aws: Callable[..., Any], as_keys: Callable[..., Any]) -> Callable[..., Any]:
    """``role(*statements)``: a new role with that inline policy, assumed by the admin; its client factory."""

    def make(*statements: dict[str, Any], trust: str | None = None, session: str = "alice") -> Any:
        iam = aws("iam")
        name = f"r-{uuid.uuid4().hex[:8]}"
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust or _trust())["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=_doc(*statements))
        creds = aws("sts").assume_role(RoleArn=arn, RoleSessionName=session)["Credentials"]
        client = as_keys(creds)
        client.arn = arn  # type: ignore[attr-defined]
        client.name = name  # type: ignore[attr-defined]
        return client

    return make


def _bucket(aws: Callable[..., Any]) -> str:
    name = f"iam-{uuid.uuid4().hex[:10]}"
    aws("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def _denied(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as excinfo:
        call()
    return excinfo.value.response


def test_session_is_authorised_by_its_role_policy(aws: Callable[..., Any], role: Callable[..., Any]) -> None:
    bucket = _bucket(aws)
    aws("s3").put_object(Bucket=bucket, Key="data/a.csv", Body=b"a")
    reader = role({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/data/*"})
    s3 = reader("s3")
    assert s3.get_object(Bucket=bucket, Key="data/a.csv")["Body"].read() == b"a"
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{reader.name}/alice"
    assert reader("sts").get_caller_identity()["Arn"] == session_arn

    response = _denied(lambda: s3.put_object(Bucket=bucket, Key="data/b.csv", Body=b"b"))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Code"] == "AccessDenied"
    assert response["Error"]["Message"] == (
        f"User: {session_arn} is not authorized to perform: s3:PutObject on resource: "
        f'"arn:aws:s3:::{bucket}/data/b.csv" because no identity-based policy allows the s3:PutObject action'
    )
    assert "Contents" not in aws("s3").list_objects_v2(Bucket=bucket, Prefix="data/b")
    # JSON protocol: AccessDeniedException, 400
    response = _denied(lambda: reader("sagemaker").list_models())
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "AccessDeniedException"
    assert (
        "sagemaker:ListModels on resource: * because no identity-based policy" in response["Error"]["Message"]
    )
    # query protocol: AccessDenied, 403
    response = _denied(lambda: reader("iam").list_roles())
    assert (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]) == (
        403,
        "AccessDenied",
    )


def test_iam_user_keys_and_managed_policies(aws: Callable[..., Any], as_keys: Callable[..., Any]) -> None:
    iam = aws("iam")
    name = f"u-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    arn = iam.create_policy(
        PolicyName=f"p-{name}",
        PolicyDocument=_doc({"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": "*"}),
    )["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    creds = iam.create_access_key(UserName=name)["AccessKey"]
    user = as_keys(creds)
    user("logs").describe_log_groups()
    response = _denied(lambda: user("logs").create_log_group(logGroupName=f"/x/{name}"))
    assert response["Error"]["Message"].startswith(
        f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized"
    )


def test_explicit_deny_wins_and_conditions_are_evaluated(
    aws: Callable[..., Any], role: Callable[..., Any]
) -> None:
    bucket = _bucket(aws)
    writer = role(
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:ListBucket"], "Resource": ["*"]},
        {
            "Effect": "Deny",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}},
        },
        {
            "Effect": "Deny",
            "Action": "s3:ListBucket",
            "Resource": "*",
            "Condition": {"StringNotLike": {"s3:prefix": "evidence/*"}},
        },
    )
    s3 = writer("s3")
    s3.put_object(Bucket=bucket, Key="x", Body=b"1", ServerSideEncryption="AES256")
    response = _denied(lambda: s3.put_object(Bucket=bucket, Key="y", Body=b"1"))
    assert response["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")
    s3.list_objects_v2(Bucket=bucket, Prefix="evidence/")
    _denied(lambda: s3.list_objects_v2(Bucket=bucket))


def test_bucket_policy_grants_to_the_role_and_denies_plain_http(
    aws: Callable[..., Any], role: Callable[..., Any]
) -> None:
    bucket = _bucket(aws)
    aws("s3").put_object(Bucket=bucket, Key="k", Body=b"v")
    nobody = role()
    _denied(lambda: nobody("s3").get_object(Bucket=bucket, Key="k"))
    policy = _doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": nobody.arn},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:DeleteObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        },
    )
    aws("s3").put_bucket_policy(Bucket=bucket, Policy=policy)
    assert nobody("s3").get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    # the explicit deny binds the administrator too
    response = _denied(lambda: aws("s3").delete_object(Bucket=bucket, Key="k"))
    assert response["Error"]["Message"].endswith("with an explicit deny in a resource-based policy")
    # DeleteObjects is authorised per key: the denied key is reported and stays
    result = aws("s3").delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k"}]})
    assert [e["Code"] for e in result["Errors"]] == ["AccessDenied"]
    assert aws("s3").head_object(Bucket=bucket, Key="k")["ContentLength"] == 1


def _key(aws: Callable[..., Any], policy: str | None = None) -> str:
    kwargs = {"Policy": policy} if policy else {}
    return aws("kms").create_key(**kwargs)["KeyMetadata"]["Arn"]


def test_kms_key_policy_must_allow_or_delegate(aws: Callable[..., Any], role: Callable[..., Any]) -> None:
    user = role({"Effect": "Allow", "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"})
    delegating = _key(aws)  # moto's default key policy: the account root, kms:*
    user("kms").encrypt(KeyId=delegating, Plaintext=b"x")
    not_delegating = _key(
        aws,
        _doc({"Effect": "Allow", "Principal": {"AWS": ADMIN}, "Action": "kms:*", "Resource": "*"}),
    )
    response = _denied(lambda: user("kms").encrypt(KeyId=not_delegating, Plaintext=b"x"))
    assert response["Error"]["Message"].endswith(
        "because no resource-based policy allows the kms:Encrypt action"
    )
    direct = _key(
        aws,
        _doc(
            {"Effect": "Allow", "Principal": {"AWS": ADMIN}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "kms:Decrypt", "Resource": "*"},
        ),
    )
    blob = aws("kms").encrypt(KeyId=direct, Plaintext=b"secret")["CiphertextBlob"]
    assert user("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"  # key policy alone suffices


def test_key_policy_deny_binds_the_administrator(aws: Callable[..., Any], role: Callable[..., Any]) -> None:
    glass = role({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}, session="break-glass")
    key = _key(
        aws,
        _doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
                "Resource": "*",
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": glass.arn}},
            },
        ),
    )
    response = _denied(lambda: aws("kms").schedule_key_deletion(KeyId=key, PendingWindowInDays=7))
    assert response["Error"]["Code"] == "AccessDeniedException"
    assert (
        f"User: {ADMIN} is not authorized to perform: kms:ScheduleKeyDeletion" in response["Error"]["Message"]
    )
    assert aws("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    glass("kms").schedule_key_deletion(KeyId=key.rsplit("/", 1)[1], PendingWindowInDays=7)
    assert aws("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_sse_kms_objects_need_the_key_via_s3(aws: Callable[..., Any], role: Callable[..., Any]) -> None:
    bucket = _bucket(aws)
    key = _key(aws)
    aws("s3").put_object(Bucket=bucket, Key="enc", Body=b"e", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    s3_only = role({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    response = _denied(lambda: s3_only("s3").get_object(Bucket=bucket, Key="enc"))
    assert "kms:Decrypt" in response["Error"]["Message"]
    via_s3 = role(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
        },
    )
    assert via_s3("s3").get_object(Bucket=bucket, Key="enc")["Body"].read() == b"e"
    blob = aws("kms").encrypt(KeyId=key, Plaintext=b"direct")["CiphertextBlob"]
    _denied(lambda: via_s3("kms").decrypt(CiphertextBlob=blob))  # not via S3: the condition fails


def test_trust_policy_and_source_identity(aws: Callable[..., Any]) -> None:
    iam, sts = aws("iam"), aws("sts")
    name = f"t-{uuid.uuid4().hex[:8]}"
    other = _doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/someone"},
            "Action": "sts:AssumeRole",
        }
    )
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=other)["Role"]["Arn"]
    response = _denied(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="xy"))
    assert response["Error"]["Message"] == (
        f"User: {ADMIN} is not authorized to perform: sts:AssumeRole on resource: {arn} "
        "because no resource-based policy allows the sts:AssumeRole action"
    )
    only_assume = _doc({"Effect": "Allow", "Principal": {"AWS": ADMIN}, "Action": "sts:AssumeRole"})
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=only_assume)
    sts.assume_role(RoleArn=arn, RoleSessionName="xy")
    response = _denied(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="xy", SourceIdentity="alice"))
    assert "sts:SetSourceIdentity" in response["Error"]["Message"]
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=_trust())
    sts.assume_role(RoleArn=arn, RoleSessionName="xy", SourceIdentity="alice")


def test_pass_role_and_sagemaker_condition_keys(aws: Callable[..., Any], role: Callable[..., Any]) -> None:
    execution = aws("iam").create_role(
        RoleName=f"exec-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
    )["Role"]["Arn"]
    scientist = role(
        {"Effect": "Allow", "Action": "sagemaker:CreateModel", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "sagemaker:CreateModel",
            "Resource": "*",
            "Condition": {"Bool": {"sagemaker:NetworkIsolation": "false"}},
        },
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": execution,
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
    )
    sm = scientist("sagemaker")
    container = {"Image": "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"}
    vpc = {"Subnets": ["subnet-a"], "SecurityGroupIds": ["sg-1"]}
    sm.create_model(
        ModelName=f"m-{uuid.uuid4().hex[:6]}",
        ExecutionRoleArn=execution,
        PrimaryContainer=container,
        EnableNetworkIsolation=True,
        VpcConfig=vpc,
    )
    response = _denied(
        lambda: sm.create_model(
            ModelName=f"m-{uuid.uuid4().hex[:6]}",
            ExecutionRoleArn=execution,
            PrimaryContainer=container,
            EnableNetworkIsolation=False,
        )
    )
    assert "explicit deny" in response["Error"]["Message"]
    admin_role = f"arn:aws:iam::{ACCOUNT}:role/{scientist.name}"
    response = _denied(
        lambda: sm.create_model(
            ModelName=f"m-{uuid.uuid4().hex[:6]}",
            ExecutionRoleArn=admin_role,
            PrimaryContainer=container,
            EnableNetworkIsolation=True,
        )
    )
    assert f"iam:PassRole on resource: {admin_role}" in response["Error"]["Message"]


def test_unmapped_action_is_refused_loudly(aws: Callable[..., Any], role: Callable[..., Any]) -> None:
    anything = role({"Effect": "Allow", "Action": "*", "Resource": "*"})
    response = _denied(lambda: anything("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}"))
    assert "no IAM resource mapping for sqs:CreateQueue" in response["Error"]["Message"]
    anything("sqs").list_queues()  # a read of an unmapped service is evaluated against "*"
    _denied(lambda: role()("sqs").list_queues())
    aws("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")  # the administrator is not restricted


def test_simulate_principal_policy(aws: Callable[..., Any], role: Callable[..., Any]) -> None:
    subject = role(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"},
        {
            "Effect": "Allow",
            "Action": "sagemaker:CreateTrainingJob",
            "Resource": "*",
            "Condition": {"Null": {"sagemaker:VpcSubnets": "false"}},
        },
    )
    iam = aws("iam")
    results = iam.simulate_principal_policy(
        PolicySourceArn=subject.arn,
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::b/public", "arn:aws:s3:::b/secret/x", "arn:aws:s3:::c/x"],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "explicitDeny", "implicitDeny"]
    without = iam.simulate_principal_policy(
        PolicySourceArn=subject.arn, ActionNames=["sagemaker:CreateTrainingJob"]
    )
    assert without["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert without["EvaluationResults"][0]["MissingContextValues"] == ["sagemaker:VpcSubnets"]
    with_vpc = iam.simulate_principal_policy(
        PolicySourceArn=subject.arn,
        ActionNames=["sagemaker:CreateTrainingJob"],
        ContextEntries=[
            {
                "ContextKeyName": "sagemaker:VpcSubnets",
                "ContextKeyValues": ["subnet-a"],
                "ContextKeyType": "stringList",
            }
        ],
    )
    assert with_vpc["EvaluationResults"][0]["EvalDecision"] == "allowed"
    custom = iam.simulate_custom_policy(
        PolicyInputList=[_doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})],
        ActionNames=["kms:Decrypt", "kms:ScheduleKeyDeletion"],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in custom] == ["allowed", "implicitDeny"]


def test_administrator_stays_unrestricted(aws: Callable[..., Any]) -> None:
    iam = aws("iam")
    name = f"free-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    iam.delete_user(UserName=name)
    aws("sagemaker").list_models()
    aws("ec2").describe_vpcs()


def test_invoke_endpoint_is_authorised_before_the_endpoint_is_looked_up(
    aws: Callable[..., Any], role: Callable[..., Any]
) -> None:
    name = f"ep-{uuid.uuid4().hex[:6]}"
    nobody = role()
    response = _denied(lambda: nobody("sagemaker-runtime").invoke_endpoint(EndpointName=name, Body=b"1"))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Code"] == "AccessDeniedException"
    endpoint_arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{name}"
    assert f"sagemaker:InvokeEndpoint on resource: {endpoint_arn}" in response["Error"]["Message"]
    caller = role({"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": endpoint_arn})
    response = _denied(lambda: caller("sagemaker-runtime").invoke_endpoint(EndpointName=name, Body=b"1"))
    assert response["Error"]["Code"] == "ValidationError"  # allowed: now the endpoint is looked up
    response = _denied(lambda: aws("sagemaker-runtime").invoke_endpoint(EndpointName=name, Body=b"1"))
    assert response["Error"]["Code"] == "ValidationError"


def test_bucket_key_encryption_context_names_the_bucket(
    aws: Callable[..., Any], role: Callable[..., Any]
) -> None:
    bucket = _bucket(aws)
    key = _key(aws)
    aws("s3").put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )

    def writer(context_arn: str) -> Any:
        return role(
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "kms:GenerateDataKey",
                "Resource": key,
                "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": context_arn}},
            },
        )

    writer(f"arn:aws:s3:::{bucket}")("s3").put_object(Bucket=bucket, Key="a", Body=b"1")
    response = _denied(
        lambda: writer(f"arn:aws:s3:::{bucket}/b")("s3").put_object(Bucket=bucket, Key="b", Body=b"1")
    )
    assert "kms:GenerateDataKey" in response["Error"]["Message"]
