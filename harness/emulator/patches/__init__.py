"""Fidelity fixes for moto, applied in-process by the emulator before it serves.

Each module fixes one place where moto's behaviour would hide or fake one of the platform's
controls; each has an idempotent ``apply()`` and a test under ``tests/emulator``.
"""

from __future__ import annotations

import importlib
import os
import threading

# module name -> one-line description (the README lists these)
FIXES: dict[str, str] = {
    "sagemaker_model": "CreateModel keeps EnableNetworkIsolation; DescribeModel omits an empty VpcConfig",
    "sagemaker_model_package_group": "DeleteModelPackageGroup, DeleteModelPackage and the group policy calls",
    "cloudtrail_arn": "DeleteTrail accepts the trail ARN (and reports unknown trails)",
    "cloudtrail_events": "calls recorded (LookupEvents), log files delivered, signed digests (validate-logs)",
    "iam_policy_evaluation": "IAM is evaluated: identity, bucket, key and trust policies, conditions",
    "iam_policy_simulation": "SimulatePrincipalPolicy / SimulateCustomPolicy answer from the same evaluator",
    "s3_object_retention": "PutObjectRetention cannot shorten/downgrade COMPLIANCE; GetObjectRetention works",
    "kms_sign": "Sign/Verify honour MessageType=DIGEST; RSASSA-PSS salt length = digest length",
    "s3_logging_permissions": "PutBucketLogging accepts target-bucket policies with Resource/Action lists",
    "ec2_flow_log_destination": "flow logs to a log group ARN deliver (status SUCCESS, LogGroupName)",
    "sts_caller_identity": "GetCallerIdentity gives an IAM user an iam ARN (not arn:aws:sts::...:user/moto)",
    "sagemaker_model_package_update": "UpdateModelPackage keeps the fields it is not given (metadata merged)",
    "sts_source_identity": "AssumeRole returns and keeps SourceIdentity; validates it and RoleSessionName",
    "s3_object_lock_configuration": "Object Lock default retention can change while the bucket holds objects",
    "sagemaker_runtime_endpoint": "InvokeEndpoint on an unknown endpoint: ValidationError, not canned data",
    "kms_rotation_period": "EnableKeyRotation keeps RotationPeriodInDays; GetKeyRotationStatus returns it",
    "ec2_security_group_rule_description": "rules referencing a group or prefix list keep their Description",
    "ec2_security_group_rule_revoke": (
        "concurrent rule changes are not lost; unknown rule id: InvalidSecurityGroupRuleId.NotFound"
    ),
    "kms_key_usage": "a key does only what its KeyUsage allows (InvalidKeyUsageException otherwise)",
    "s3_block_public_policy": "PutBucketPolicy refuses a public policy while BlockPublicPolicy is on",
    "sagemaker_feature_group": "feature groups as AWS: validation, online store, Glue table, Delete/List",
    "athena_queries": "Athena runs SQL over Glue tables' S3 data (DuckDB); results where the workgroup says",
    "stepfunctions_execution": "executions run their ASL (SDK integrations call this emulator), with history",
    "events_stepfunctions_target": "rules deliver matched events to state machine targets (StartExecution)",
    "logs_stream_prefix": "FilterLogEvents honours logStreamNamePrefix (moto searched every stream)",
    "s3_suspended_versioning_delete": (
        "versioning suspended: a version or delete marker deleted by id goes alone (moto: 500 on a marker)"
    ),
}

DISABLE_ENV = "EMULATOR_DISABLE_FIXES"

_lock = threading.Lock()
_applied = False


def apply_all() -> None:
    """Apply every fix (idempotent).

    ``EMULATOR_DISABLE_FIXES=name,...`` leaves fixes out: only for showing that a fix's test fails
    without it.
    """
    global _applied
    with _lock:
        if _applied:
            return
        disabled = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
        for name in FIXES:
            if name not in disabled:
                importlib.import_module(f"{__name__}.{name}").apply()
        _applied = True
