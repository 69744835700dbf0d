"""What a request asks of IAM: its actions, resource ARNs, condition keys and resource policies.

Contract (AWS Service Authorization Reference, for the calls the platform makes):

- S3: the action follows the method, the sub-resource and whether a key is named (``GET ?policy`` ->
  ``s3:GetBucketPolicy``, ``HEAD`` on a key -> ``s3:GetObject``, ``DELETE`` with ``versionId`` ->
  ``s3:DeleteObjectVersion``, ``POST ?delete`` -> ``s3:DeleteObject`` for every key, a copy ->
  ``s3:PutObject`` and ``s3:GetObject`` on the source); the resource is the bucket or
  ``bucket/key``; the bucket policy is the resource policy. An object written or read with SSE-KMS
  also needs ``kms:GenerateDataKey`` / ``kms:Decrypt`` on its key with ``kms:ViaService`` =
  ``s3.<region>.amazonaws.com`` and ``kms:EncryptionContext:aws:s3:arn``.
- KMS: the key's ARN (aliases and ARNs resolved; Decrypt without KeyId: the key of the
  ciphertext), its key policy as resource policy; CreateKey, ListKeys, ListAliases, GenerateRandom: ``*``.
- SageMaker: ``arn:aws:sagemaker:<region>:<account>:<resource-type>/<lower-case name>`` from the
  operation's noun and name parameter (``CreateTrainingJob`` + ``TrainingJobName`` ->
  ``training-job/<name>``); List*, Search: ``*``; the sagemaker:* condition keys from the request
  (VPC subnets and security groups, network isolation, volume and output KMS keys,
  inter-container traffic encryption, instance types). A passed role (``RoleArn``,
  ``ExecutionRoleArn``, ...) needs ``iam:PassRole`` on it with ``iam:PassedToService``.
- IAM: the role/user/group/policy/instance profile named; STS AssumeRole: the role, with its trust
  policy as resource policy (plus ``sts:SetSourceIdentity`` / ``sts:TagSession`` when the request
  sets a source identity or session tags); logs: the log group (``log-group:<name>:*``) or stream;
  CloudTrail: the trail; CloudWatch: the alarm, ``*`` for metrics; EC2 Describe*: ``*``.
- Athena GetWorkGroup/UpdateWorkGroup/DeleteWorkGroup: ``workgroup/<name>``; Glue GetTable: the
  catalog, ``database/<db>`` and ``table/<db>/<table>``, each of which must be allowed.
- Global keys: aws:SecureTransport, aws:RequestedRegion, aws:PrincipalArn, aws:PrincipalAccount,
  aws:PrincipalType, aws:userid, aws:username, aws:CurrentTime, aws:EpochTime,
  aws:MultiFactorAuthPresent (sessions: false), aws:SourceIdentity, aws:ViaAWSService (false),
  aws:RequestTag/*, aws:TagKeys. aws:SourceAccount / aws:SourceArn are only present on calls a
  service makes for a resource, which the emulator does not make: a condition on them does not hold
  for a caller.

A read (``List*``, ``Describe*``, ``Get*``, ``BatchGet*``, ``Lookup*``, ``Search*``) of a service
without a mapping is evaluated against resource ``*`` (most such calls have no resource type in AWS;
a policy scoped to ARNs does not allow it here). Anything else raises :class:`Unmapped`: the
enforcement refuses it for a non-administrator rather than guess a resource.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from .evaluator import Policy, Principal

Ctx = dict[str, list[str]]


class Unmapped(Exception):
    """The emulator does not know the IAM resource of this action."""


@dataclasses.dataclass
class Check:
    action: str
    resource: str
    context: Ctx = dataclasses.field(default_factory=dict)
    resource_policy: Policy | None = None
    resource_kind: str = "generic"  # "generic" | "kms" | "trust"


@dataclasses.dataclass
class Call:
    """What the emulator saw of one request."""

    service: str  # IAM service prefix
    operation: str
    params: Mapping[str, Any]
    account: str
    region: str
    partition: str
    secure: bool
    method: str = "POST"
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    query: Mapping[str, list[str]] = dataclasses.field(default_factory=dict)
    resource_hint: str = "*"  # what moto computed (S3: the bucket or object ARN)
    body: bytes = b""


def global_context(call: Call, principal: Principal) -> Ctx:
    now = dt.datetime.now(dt.UTC)
    ctx: Ctx = {
        "aws:securetransport": ["true" if call.secure else "false"],
        "aws:requestedregion": [call.region],
        "aws:principalarn": [principal.principal_arn],
        "aws:principalaccount": [principal.account],
        "aws:principaltype": ["User" if principal.kind == "Administrator" else principal.kind],
        "aws:userid": [principal.user_id],
        "aws:currenttime": [now.strftime("%Y-%m-%dT%H:%M:%SZ")],
        "aws:epochtime": [str(int(now.timestamp()))],
        "aws:viaawsservice": ["false"],
    }
    if principal.kind != "AssumedRole":
        ctx["aws:username"] = [principal.principal_arn.rsplit("/", 1)[-1]]
    else:
        ctx["aws:multifactorauthpresent"] = ["false"]
        if principal.source_identity:
            ctx["aws:sourceidentity"] = [principal.source_identity]
    tags = _tags(call.params)
    if tags is not None:
        ctx["aws:tagkeys"] = list(tags)
        for key, value in tags.items():
            ctx[f"aws:requesttag/{key.lower()}"] = [value]
    return ctx


def _tags(params: Mapping[str, Any]) -> dict[str, str] | None:
    raw = params.get("Tags")
    if raw is None:
        raw = params.get("tags")
    if isinstance(raw, list):
        out = {}
        for item in raw:
            if isinstance(item, Mapping):
                key = item.get("Key", item.get("TagKey"))
                if key is not None:
                    out[str(key)] = str(item.get("Value", item.get("TagValue", "")))
        return out
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    return None


READ_PREFIXES = ("List", "Describe", "Get", "BatchGet", "Lookup", "Search")


def checks(call: Call) -> list[Check]:
    """Every authorisation the call needs, the call's own action first."""
    mapper = _MAPPERS.get(call.service)
    if mapper is None:
        if call.operation.startswith(READ_PREFIXES) and call.service != "s3":
            # a read of a service without a mapping: evaluated against "*" (a policy must allow it there)
            return [Check(f"{call.service}:{call.operation}", "*")]
        raise Unmapped(f"no IAM resource mapping for {call.service}:{call.operation or '*'}")
    found = mapper(call)
    found.extend(_pass_role_checks(call, found[0].resource if found else "*"))
    return found


# ---------------------------------------------------------------- S3

_S3_BUCKET_SUB = {
    "GET": {
        "policy": "GetBucketPolicy",
        "policyStatus": "GetBucketPolicyStatus",
        "acl": "GetBucketAcl",
        "location": "GetBucketLocation",
        "versioning": "GetBucketVersioning",
        "tagging": "GetBucketTagging",
        "logging": "GetBucketLogging",
        "lifecycle": "GetLifecycleConfiguration",
        "encryption": "GetEncryptionConfiguration",
        "object-lock": "GetBucketObjectLockConfiguration",
        "publicAccessBlock": "GetBucketPublicAccessBlock",
        "ownershipControls": "GetBucketOwnershipControls",
        "notification": "GetBucketNotification",
        "cors": "GetBucketCORS",
        "website": "GetBucketWebsite",
        "replication": "GetReplicationConfiguration",
        "accelerate": "GetAccelerateConfiguration",
        "requestPayment": "GetBucketRequestPayment",
        "versions": "ListBucketVersions",
        "uploads": "ListBucketMultipartUploads",
        "inventory": "GetInventoryConfiguration",
        "intelligent-tiering": "GetIntelligentTieringConfiguration",
        "analytics": "GetAnalyticsConfiguration",
        "metrics": "GetMetricsConfiguration",
    },
    "PUT": {
        "policy": "PutBucketPolicy",
        "acl": "PutBucketAcl",
        "versioning": "PutBucketVersioning",
        "tagging": "PutBucketTagging",
        "logging": "PutBucketLogging",
        "lifecycle": "PutLifecycleConfiguration",
        "encryption": "PutEncryptionConfiguration",
        "object-lock": "PutBucketObjectLockConfiguration",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "ownershipControls": "PutBucketOwnershipControls",
        "notification": "PutBucketNotification",
        "cors": "PutBucketCORS",
        "website": "PutBucketWebsite",
        "replication": "PutReplicationConfiguration",
        "accelerate": "PutAccelerateConfiguration",
        "requestPayment": "PutBucketRequestPayment",
        "inventory": "PutInventoryConfiguration",
        "intelligent-tiering": "PutIntelligentTieringConfiguration",
        "analytics": "PutAnalyticsConfiguration",
        "metrics": "PutMetricsConfiguration",
    },
    "DELETE": {
        "policy": "DeleteBucketPolicy",
        "tagging": "PutBucketTagging",
        "lifecycle": "PutLifecycleConfiguration",
        "encryption": "PutEncryptionConfiguration",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "ownershipControls": "PutBucketOwnershipControls",
        "cors": "PutBucketCORS",
        "website": "DeleteBucketWebsite",
        "replication": "PutReplicationConfiguration",
        "inventory": "PutInventoryConfiguration",
        "intelligent-tiering": "PutIntelligentTieringConfiguration",
        "analytics": "PutAnalyticsConfiguration",
        "metrics": "PutMetricsConfiguration",
    },
}
_S3_BUCKET_DEFAULT = {
    "GET": "ListBucket",
    "HEAD": "ListBucket",
    "PUT": "CreateBucket",
    "DELETE": "DeleteBucket",
}
_S3_OBJECT_SUB = {
    "GET": {
        "acl": "GetObjectAcl",
        "tagging": "GetObjectTagging",
        "retention": "GetObjectRetention",
        "legal-hold": "GetObjectLegalHold",
        "attributes": "GetObjectAttributes",
        "uploadId": "ListMultipartUploadParts",
    },
    "PUT": {
        "acl": "PutObjectAcl",
        "tagging": "PutObjectTagging",
        "retention": "PutObjectRetention",
        "legal-hold": "PutObjectLegalHold",
    },
    "DELETE": {"uploadId": "AbortMultipartUpload", "tagging": "DeleteObjectTagging"},
    "POST": {
        "restore": "RestoreObject",
        "select": "GetObject",
        "uploads": "PutObject",
        "uploadId": "PutObject",
    },
}
_S3_VERSIONED = {
    "GetObject": "GetObjectVersion",
    "GetObjectAcl": "GetObjectVersionAcl",
    "GetObjectTagging": "GetObjectVersionTagging",
    "PutObjectAcl": "PutObjectVersionAcl",
    "PutObjectTagging": "PutObjectVersionTagging",
    "DeleteObject": "DeleteObjectVersion",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
}
POLICY_MANAGEMENT = frozenset({"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"})


def s3_operation(method: str, query: Mapping[str, Any], has_key: bool) -> str:
    """The IAM action (without ``s3:``) of an S3 REST request."""
    method = method.upper()
    if has_key:
        if method == "HEAD":
            method = "GET"
        subs = _S3_OBJECT_SUB.get(method, {})
        action = next((a for sub, a in subs.items() if sub in query), "")
        if not action:
            action = {"GET": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject"}.get(method, "")
        if not action:
            raise Unmapped(f"S3 {method} on an object")
        if "versionId" in query and action in _S3_VERSIONED:
            action = _S3_VERSIONED[action]
        return action
    if method == "POST" and "delete" in query:
        return "DeleteObject"
    for sub, action in _S3_BUCKET_SUB.get(method, {}).items():
        if sub in query:
            return action
    if method in _S3_BUCKET_DEFAULT:
        return _S3_BUCKET_DEFAULT[method]
    raise Unmapped(f"S3 {method} on a bucket")


def _s3_backend(call: Call) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[call.account][call.partition]


def _bucket(call: Call, name: str) -> Any:
    try:
        return _s3_backend(call).get_bucket(name)
    except Exception:
        return None


def bucket_policy(bucket: Any) -> Policy | None:
    if bucket is None or not getattr(bucket, "policy", None):
        return None
    return _cached_policy(f"arn:aws:s3:::{bucket.name}", bucket.policy)


_POLICY_CACHE: dict[tuple[str, Any], Policy] = {}


def _cached_policy(source: str, text: Any) -> Policy:
    key = (source, text if isinstance(text, (str, bytes)) else json.dumps(text, sort_keys=True))
    policy = _POLICY_CACHE.get(key)
    if policy is None:
        if len(_POLICY_CACHE) > 512:
            _POLICY_CACHE.clear()
        policy = _POLICY_CACHE[key] = Policy.parse(source, text)
    return policy


def _s3(call: Call) -> list[Check]:
    hint = call.resource_hint
    if not hint.startswith("arn:") or hint.endswith(":::*"):
        return [Check("s3:ListAllMyBuckets", "*")]
    path = hint.split(":::", 1)[1]
    bucket_name, _, key = path.partition("/")
    has_key = bool(key) and bucket_name != "*"
    operation = s3_operation(call.method, call.query, has_key)
    bucket = _bucket(call, bucket_name)
    policy = bucket_policy(bucket)
    ctx = _s3_context(call)
    bucket_arn = f"arn:{call.partition}:s3:::{bucket_name}"
    if call.method.upper() == "POST" and "delete" in call.query and not has_key:
        return [
            Check(
                f"s3:{'DeleteObjectVersion' if version else 'DeleteObject'}",
                f"{bucket_arn}/{name}",
                ctx,
                policy,
            )
            for name, version in _delete_keys(call.body)
        ] or [Check("s3:DeleteObject", f"{bucket_arn}/*", ctx, policy)]
    resource = f"{bucket_arn}/{key}" if has_key else bucket_arn
    found = [Check(f"s3:{operation}", resource, ctx, policy)]
    headers = {k.lower(): v for k, v in call.headers.items()}
    if operation == "PutObject" and headers.get("x-amz-copy-source"):
        source = unquote(headers["x-amz-copy-source"]).lstrip("/").split("?", 1)[0]
        src_bucket = source.partition("/")[0]
        found.append(
            Check(
                "s3:GetObject",
                f"arn:{call.partition}:s3:::{source}",
                ctx,
                bucket_policy(_bucket(call, src_bucket)),
            )
        )
    if headers.get("x-amz-bypass-governance-retention", "").lower() == "true":
        found.append(Check("s3:BypassGovernanceRetention", resource, ctx, policy))
    if has_key and bucket is not None:
        found.extend(_s3_kms_checks(call, bucket, key, operation, headers))
    return found


def _s3_context(call: Call) -> Ctx:
    ctx: Ctx = {}
    for name in ("prefix", "delimiter", "max-keys", "versionId"):
        if name in call.query:
            value = call.query[name]
            key = "s3:versionid" if name == "versionId" else f"s3:{name}"
            ctx[key] = [str(v) for v in (value if isinstance(value, list) else [value])]
    headers = {k.lower(): v for k, v in call.headers.items()}
    for header in (
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-acl",
        "x-amz-object-lock-mode",
        "x-amz-object-lock-retain-until-date",
        "x-amz-object-lock-legal-hold",
        "x-amz-copy-source",
        "x-amz-metadata-directive",
        "x-amz-storage-class",
    ):
        if headers.get(header):
            ctx[f"s3:{header}"] = [headers[header]]
    if "s3:x-amz-object-lock-mode" in ctx:
        ctx["s3:object-lock-mode"] = ctx["s3:x-amz-object-lock-mode"]
    if "s3:x-amz-object-lock-retain-until-date" in ctx:
        ctx["s3:object-lock-retain-until-date"] = ctx["s3:x-amz-object-lock-retain-until-date"]
    auth = headers.get("authorization", "")
    ctx["s3:authtype"] = ["REST-HEADER" if auth else "REST-QUERY-STRING"]
    ctx["s3:signatureversion"] = ["AWS4-HMAC-SHA256"]
    return ctx


def _delete_keys(body: bytes) -> list[tuple[str, str | None]]:
    if not body:
        return []
    text = body.decode("utf-8", "replace")
    keys = []
    for block in re.findall(r"<Object>(.*?)</Object>", text, re.DOTALL):
        key = re.search(r"<Key>(.*?)</Key>", block, re.DOTALL)
        version = re.search(r"<VersionId>(.*?)</VersionId>", block, re.DOTALL)
        if key:
            from html import unescape

            keys.append((unescape(key.group(1)), version.group(1) if version else None))
    return keys


def _s3_kms_checks(
    call: Call, bucket: Any, key: str, operation: str, headers: Mapping[str, str]
) -> list[Check]:
    """SSE-KMS: the caller needs the key too (S3 calls KMS on the caller's behalf)."""
    if operation not in ("PutObject", "GetObject", "GetObjectVersion"):
        return []
    key_id = None
    obj: Any = None
    if operation == "PutObject":
        if headers.get("x-amz-server-side-encryption") == "aws:kms":
            key_id = headers.get("x-amz-server-side-encryption-aws-kms-key-id")
        elif not headers.get("x-amz-server-side-encryption"):
            key_id = _bucket_default_kms_key(bucket)
        action = "kms:GenerateDataKey"
    else:
        try:
            obj = _s3_backend(call).get_object(bucket.name, key)
        except Exception:
            obj = None
        if obj is None or getattr(obj, "encryption", None) != "aws:kms":
            return []
        key_id = getattr(obj, "kms_key_id", None)
        action = "kms:Decrypt"
    if not key_id:
        return []
    key_arn, policy = _kms_key(call, key_id)
    if key_arn is None:
        return []
    # with an S3 Bucket Key, S3 asks KMS for the bucket's data key: the context names the bucket
    bucket_key = headers.get("x-amz-server-side-encryption-bucket-key-enabled", "").lower() == "true"
    if not bucket_key and operation == "PutObject" and not headers.get("x-amz-server-side-encryption"):
        bucket_key = _bucket_key_enabled(bucket)
    if operation != "PutObject":
        bucket_key = str(getattr(obj, "bucket_key_enabled", "")).lower() == "true"
    context_arn = f"arn:{call.partition}:s3:::{bucket.name}" + ("" if bucket_key else f"/{key}")
    ctx: Ctx = {
        "kms:viaservice": [f"s3.{call.region}.amazonaws.com"],
        "kms:calleraccount": [call.account],
        "kms:encryptioncontext:aws:s3:arn": [context_arn],
        "kms:encryptioncontextkeys": ["aws:s3:arn"],
    }
    return [Check(action, key_arn, ctx, policy, "kms")]


def _bucket_key_enabled(bucket: Any) -> bool:
    encryption = getattr(bucket, "encryption", None) or {}
    rules = encryption.get("Rule") if isinstance(encryption, Mapping) else None
    for rule in rules if isinstance(rules, list) else [rules] if rules else []:
        if str((rule or {}).get("BucketKeyEnabled", "")).lower() == "true":
            return True
    return False


def _bucket_default_kms_key(bucket: Any) -> str | None:
    encryption = getattr(bucket, "encryption", None) or {}
    rules = encryption.get("Rule") if isinstance(encryption, Mapping) else None
    for rule in rules if isinstance(rules, list) else [rules] if rules else []:
        default = (rule or {}).get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm") == "aws:kms":
            return default.get("KMSMasterKeyID")
    return None


# ---------------------------------------------------------------- KMS

_KMS_STAR = frozenset(
    {
        "CreateKey",
        "ListKeys",
        "ListAliases",
        "GenerateRandom",
        "ListRetirableGrants",
        "DescribeCustomKeyStores",
        "CreateCustomKeyStore",
    }
)


def _kms_key(call: Call, key_id: str) -> tuple[str | None, Policy | None]:
    from moto.kms.models import kms_backends

    region = call.region
    if key_id.startswith("arn:"):
        region = key_id.split(":")[3] or region
    try:
        key = kms_backends[call.account][region].describe_key(key_id)
    except Exception:
        return None, None
    return key.arn, _cached_policy(key.arn, key.policy)


def _kms(call: Call) -> list[Check]:
    op = call.operation
    if op in _KMS_STAR:
        return [Check(f"kms:{op}", "*", _kms_context(call))]
    key_id = call.params.get("KeyId") or call.params.get("TargetKeyId") or call.params.get("SourceKeyId")
    if not key_id and op == "Decrypt" and call.params.get("CiphertextBlob"):
        key_id = _ciphertext_key(call.params["CiphertextBlob"])
    if not key_id:
        raise Unmapped(f"kms:{op} without a KeyId")
    key_arn, policy = _kms_key(call, str(key_id))
    if key_arn is None:
        key_arn = (
            str(key_id)
            if str(key_id).startswith("arn:")
            else f"arn:{call.partition}:kms:{call.region}:{call.account}:key/{key_id}"
        )
    return [Check(f"kms:{op}", key_arn, _kms_context(call), policy, "kms")]


def _ciphertext_key(blob: Any) -> str | None:
    import base64

    from moto.kms.utils import _deserialize_ciphertext_blob

    try:
        raw = base64.b64decode(blob) if isinstance(blob, str) else bytes(blob)
        return _deserialize_ciphertext_blob(raw).key_id
    except Exception:
        return None


def _kms_context(call: Call) -> Ctx:
    p = call.params
    ctx: Ctx = {"kms:calleraccount": [call.account]}
    context = p.get("EncryptionContext")
    if isinstance(context, Mapping):
        ctx["kms:encryptioncontextkeys"] = list(context)
        for k, v in context.items():
            ctx[f"kms:encryptioncontext:{k}".lower()] = [str(v)]
    simple = {
        "EncryptionAlgorithm": "kms:encryptionalgorithm",
        "SigningAlgorithm": "kms:signingalgorithm",
        "MessageType": "kms:messagetype",
        "KeySpec": "kms:keyspec",
        "KeyUsage": "kms:keyusage",
        "Origin": "kms:keyorigin",
        "GranteePrincipal": "kms:granteeprincipal",
        "RetiringPrincipal": "kms:retiringprincipal",
        "PendingWindowInDays": "kms:schedulekeydeletionpendingwindowindays",
        "RotationPeriodInDays": "kms:rotationperiodindays",
        "BypassPolicyLockoutSafetyCheck": "kms:bypasspolicylockoutsafetycheck",
        "MultiRegion": "kms:multiregion",
    }
    for param, key in simple.items():
        if param in p and p[param] is not None:
            value = p[param]
            ctx[key] = [str(value).lower() if isinstance(value, bool) else str(value)]
    if call.operation == "CreateGrant":
        ctx["kms:grantisforawsresource"] = ["false"]
        ctx["kms:grantoperations"] = [str(o) for o in p.get("Operations") or []]
    return ctx


# ---------------------------------------------------------------- SageMaker

_SM_VERBS = (
    "Create",
    "Describe",
    "Delete",
    "Update",
    "Stop",
    "Start",
    "Put",
    "Get",
    "Retry",
    "Send",
    "Invoke",
    "Add",
    "Batch",
)
_SM_NAME_PARAMS = {
    "ModelPackage": ("ModelPackageName", "ModelPackageArn"),
    "Endpoint": ("EndpointName",),
    "Pipeline": ("PipelineName",),
    "PipelineExecution": ("PipelineExecutionArn",),
}
_SM_SPECIAL = {
    "InvokeEndpoint": ("endpoint", "EndpointName"),
    "InvokeEndpointAsync": ("endpoint", "EndpointName"),
    "StartPipelineExecution": ("pipeline", "PipelineName"),
    "PutModelPackageGroupPolicy": ("model-package-group", "ModelPackageGroupName"),
    "GetModelPackageGroupPolicy": ("model-package-group", "ModelPackageGroupName"),
    "DeleteModelPackageGroupPolicy": ("model-package-group", "ModelPackageGroupName"),
    "DescribeEndpointConfig": ("endpoint-config", "EndpointConfigName"),
}


def _kebab(noun: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", noun).lower()


def sagemaker_resource(call: Call) -> str:
    op, p = call.operation, call.params
    prefix = f"arn:{call.partition}:sagemaker:{call.region}:{call.account}"
    if op in ("AddTags", "DeleteTags", "ListTags"):
        return str(p.get("ResourceArn") or "*")
    if op == "ListPipelineExecutions" and p.get("PipelineName"):
        return f"{prefix}:pipeline/{str(p['PipelineName']).lower()}"
    if op == "ListPipelineExecutionSteps" and p.get("PipelineExecutionArn"):
        return str(p["PipelineExecutionArn"])
    if op.startswith("List") or op in ("Search", "GetSearchSuggestions"):
        return "*"
    if op in _SM_SPECIAL:
        rtype, param = _SM_SPECIAL[op]
        name = p.get(param)
        if not name:
            raise Unmapped(f"sagemaker:{op} without {param}")
        return str(name) if str(name).startswith("arn:") else f"{prefix}:{rtype}/{str(name).lower()}"
    if op == "CreateModelPackage":
        group = p.get("ModelPackageGroupName")
        if group:
            group = str(group).rsplit("/", 1)[-1]
            return f"{prefix}:model-package/{group.lower()}/*"
        return f"{prefix}:model-package/{str(p.get('ModelPackageName', '*')).lower()}"
    verb = next((v for v in _SM_VERBS if op.startswith(v)), None)
    if verb is None:
        raise Unmapped(f"sagemaker:{op}")
    noun = op[len(verb) :]
    for param in (*_SM_NAME_PARAMS.get(noun, ()), f"{noun}Name", f"{noun}Arn"):
        value = p.get(param)
        if value:
            value = str(value)
            if value.startswith("arn:"):
                return value
            return f"{prefix}:{_kebab(noun)}/{value.lower()}"
    raise Unmapped(f"sagemaker:{op}: no resource name in the request")


def _dig(params: Mapping[str, Any], *path: str) -> Any:
    cur: Any = params
    for part in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def _flag(value: Any) -> list[str] | None:
    if value is None:
        return None
    return ["true" if value in (True, "true", "True") else "false"]


def sagemaker_context(call: Call) -> Ctx:
    p = call.params
    op = call.operation
    ctx: Ctx = {}

    def put(key: str, value: Any) -> None:
        if value is None or value == "":
            return
        ctx[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]

    if op == "CreateProcessingJob":
        network = p.get("NetworkConfig") or {}
        vpc = network.get("VpcConfig") or {}
        put("sagemaker:networkisolation", _flag(network.get("EnableNetworkIsolation")))
        put(
            "sagemaker:intercontainertrafficencryption",
            _flag(network.get("EnableInterContainerTrafficEncryption")),
        )
        cluster = _dig(p, "ProcessingResources", "ClusterConfig") or {}
        put("sagemaker:volumekmskey", cluster.get("VolumeKmsKeyId"))
        put("sagemaker:instancetypes", cluster.get("InstanceType"))
        put("sagemaker:outputkmskey", _dig(p, "ProcessingOutputConfig", "KmsKeyId"))
    else:
        vpc = p.get("VpcConfig") or {}
        put("sagemaker:networkisolation", _flag(p.get("EnableNetworkIsolation")))
        put(
            "sagemaker:intercontainertrafficencryption", _flag(p.get("EnableInterContainerTrafficEncryption"))
        )
        put("sagemaker:volumekmskey", _dig(p, "ResourceConfig", "VolumeKmsKeyId"))
        put("sagemaker:outputkmskey", _dig(p, "OutputDataConfig", "KmsKeyId"))
        put("sagemaker:instancetypes", _dig(p, "ResourceConfig", "InstanceType"))
        if op == "CreateEndpointConfig":
            put("sagemaker:volumekmskey", p.get("KmsKeyId"))
            put("sagemaker:outputkmskey", _dig(p, "DataCaptureConfig", "KmsKeyId"))
            put(
                "sagemaker:instancetypes",
                [v.get("InstanceType") for v in p.get("ProductionVariants") or [] if v.get("InstanceType")],
            )
    if vpc:
        put("sagemaker:vpcsubnets", vpc.get("Subnets") or [])
        put("sagemaker:vpcsecuritygroupids", vpc.get("SecurityGroupIds") or [])
    if op in ("CreateModelPackage", "UpdateModelPackage") and p.get("ModelApprovalStatus"):
        put("sagemaker:modelapprovalstatus", p.get("ModelApprovalStatus"))
    return ctx


def _sagemaker(call: Call) -> list[Check]:
    resource = sagemaker_resource(call)
    found = [Check(f"sagemaker:{call.operation}", resource, sagemaker_context(call))]
    if call.operation.startswith("Create") and call.params.get("Tags"):
        found.append(Check("sagemaker:AddTags", resource))  # tagging on create needs AddTags too
    return found


# ---------------------------------------------------------------- pass role

_PASSED_ROLE_PARAMS = (
    "RoleArn",
    "ExecutionRoleArn",
    "CloudWatchLogsRoleArn",
    "DeliverLogsPermissionArn",
    "ServiceRoleArn",
)
_PASSED_TO = {"ec2": "vpc-flow-logs.amazonaws.com"}


def _pass_role_checks(call: Call, associated: str) -> list[Check]:
    if call.service in ("iam", "sts"):
        return []
    found = []
    for param in _PASSED_ROLE_PARAMS:
        role_arn = call.params.get(param)
        if isinstance(role_arn, str) and ":role/" in role_arn:
            ctx: Ctx = {
                "iam:passedtoservice": [_PASSED_TO.get(call.service, f"{call.service}.amazonaws.com")],
                "iam:associatedresourcearn": [associated],
            }
            found.append(Check("iam:PassRole", role_arn, ctx))
    return found


# ---------------------------------------------------------------- IAM and STS

_IAM_STAR_PREFIXES = ("List", "GetAccount", "GenerateCredentialReport", "GetCredentialReport")


def _iam_entity_arn(call: Call, kind: str, name: str) -> str:
    from moto.iam.models import iam_backends

    backend = iam_backends[call.account][call.partition]
    try:
        if kind == "role":
            return backend.get_role(name).arn
        if kind == "user":
            return backend.get_user(name).arn
        if kind == "group":
            return backend.get_group(name).arn
    except Exception:
        pass
    return f"arn:{call.partition}:iam::{call.account}:{kind}/{name}"


def _iam(call: Call) -> list[Check]:
    p, op = call.params, call.operation
    resource = None
    if p.get("PolicySourceArn"):
        resource = p["PolicySourceArn"]
    elif p.get("RoleName"):
        resource = _iam_entity_arn(call, "role", p["RoleName"])
    elif p.get("UserName"):
        resource = _iam_entity_arn(call, "user", p["UserName"])
    elif p.get("GroupName"):
        resource = _iam_entity_arn(call, "group", p["GroupName"])
    elif p.get("InstanceProfileName"):
        profile = f"{p.get('Path', '/')}{p['InstanceProfileName']}"
        resource = f"arn:{call.partition}:iam::{call.account}:instance-profile{profile}"
    elif p.get("PolicyArn"):
        resource = p["PolicyArn"]
    elif op == "CreatePolicy" and p.get("PolicyName"):
        resource = f"arn:{call.partition}:iam::{call.account}:policy{p.get('Path', '/')}{p['PolicyName']}"
    elif p.get("OpenIDConnectProviderArn") or p.get("SAMLProviderArn"):
        resource = p.get("OpenIDConnectProviderArn") or p.get("SAMLProviderArn")
    elif op in ("GetUser", "ListAccessKeys", "CreateAccessKey", "ListMFADevices", "ListSigningCertificates"):
        resource = None  # the caller's own user; filled in by the enforcement
        return [Check(f"iam:{op}", "self")]
    elif op.startswith(_IAM_STAR_PREFIXES) or op in ("SimulateCustomPolicy", "GetContextKeysForCustomPolicy"):
        resource = "*"
    if resource is None:
        raise Unmapped(f"iam:{op}: no resource in the request")
    ctx: Ctx = {}
    if op.startswith(("Attach", "Detach")) and p.get("PolicyArn"):
        ctx["iam:policyarn"] = [p["PolicyArn"]]
    if p.get("PermissionsBoundary"):
        ctx["iam:permissionsboundary"] = [p["PermissionsBoundary"]]
    return [Check(f"iam:{op}", str(resource), ctx)]


def trust_policy(call: Call, role_arn: str) -> Policy | None:
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[call.account][call.partition].get_role_by_arn(role_arn)
    except Exception:
        return None
    return _cached_policy(role_arn, role.assume_role_policy_document)


def _sts(call: Call) -> list[Check]:
    p, op = call.params, call.operation
    if op in ("AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"):
        role_arn = str(p.get("RoleArn") or "")
        if not role_arn:
            raise Unmapped(f"sts:{op} without RoleArn")
        ctx: Ctx = {}
        if p.get("RoleSessionName"):
            ctx["sts:rolesessionname"] = [str(p["RoleSessionName"])]
        if p.get("SourceIdentity"):
            ctx["sts:sourceidentity"] = [str(p["SourceIdentity"])]
        if p.get("ExternalId"):
            ctx["sts:externalid"] = [str(p["ExternalId"])]
        if p.get("SerialNumber") and p.get("TokenCode"):
            ctx["aws:multifactorauthpresent"] = ["true"]
        policy = trust_policy(call, role_arn) or Policy(role_arn, {"Statement": []})
        found = [Check(f"sts:{op}", role_arn, ctx, policy, "trust")]
        if p.get("SourceIdentity"):
            found.append(Check("sts:SetSourceIdentity", role_arn, ctx, policy, "trust"))
        if _tags(p):
            found.append(Check("sts:TagSession", role_arn, ctx, policy, "trust"))
        return found
    if op in ("GetSessionToken", "GetAccessKeyInfo", "DecodeAuthorizationMessage", "GetFederationToken"):
        return [Check(f"sts:{op}", "*")]
    raise Unmapped(f"sts:{op}")


# ---------------------------------------------------------------- logs, CloudTrail, CloudWatch, EC2, SNS, ECR


def _logs(call: Call) -> list[Check]:
    p, op = call.params, call.operation
    prefix = f"arn:{call.partition}:logs:{call.region}:{call.account}"
    group = p.get("logGroupName")
    ident = p.get("logGroupIdentifier")
    if ident and not group:
        if str(ident).startswith("arn:"):
            return [Check(f"logs:{op}", str(ident).removesuffix(":*") + ":*")]
        group = ident
    if op in ("DescribeLogGroups", "DescribeDestinations", "DescribeQueries", "DescribeResourcePolicies"):
        return [Check(f"logs:{op}", f"{prefix}:log-group:*")]
    if op in (
        "PutResourcePolicy",
        "DeleteResourcePolicy",
        "DescribeQueryDefinitions",
        "StartQuery",
        "GetQueryResults",
    ):
        if op == "StartQuery" and p.get("logGroupName"):
            return [Check(f"logs:{op}", f"{prefix}:log-group:{p['logGroupName']}:*")]
        return [Check(f"logs:{op}", "*")]
    if not group:
        if p.get("resourceArn"):
            return [Check(f"logs:{op}", str(p["resourceArn"]))]
        raise Unmapped(f"logs:{op}: no log group in the request")
    stream = p.get("logStreamName")
    if stream and op in ("PutLogEvents", "GetLogEvents", "CreateLogStream", "DeleteLogStream"):
        return [Check(f"logs:{op}", f"{prefix}:log-group:{group}:log-stream:{stream}")]
    return [Check(f"logs:{op}", f"{prefix}:log-group:{group}:*")]


def _cloudtrail(call: Call) -> list[Check]:
    p, op = call.params, call.operation
    if op in (
        "LookupEvents",
        "DescribeTrails",
        "ListTrails",
        "ListEventDataStores",
        "ListChannels",
        "ListPublicKeys",
    ):
        return [Check(f"cloudtrail:{op}", "*")]
    name = p.get("Name") or p.get("TrailName") or p.get("TrailARN") or p.get("ResourceId")
    if not name and isinstance(p.get("ResourceIdList"), list) and p["ResourceIdList"]:
        name = p["ResourceIdList"][0]
    if not name:
        raise Unmapped(f"cloudtrail:{op}: no trail in the request")
    name = str(name)
    arn = (
        name
        if name.startswith("arn:")
        else f"arn:{call.partition}:cloudtrail:{call.region}:{call.account}:trail/{name}"
    )
    return [Check(f"cloudtrail:{op}", arn)]


def _cloudwatch(call: Call) -> list[Check]:
    p, op = call.params, call.operation
    prefix = f"arn:{call.partition}:cloudwatch:{call.region}:{call.account}"
    names = p.get("AlarmNames") or ([p["AlarmName"]] if p.get("AlarmName") else [])
    if op in ("DescribeAlarms", "DescribeAlarmHistory") and not names:
        return [Check(f"cloudwatch:{op}", "*")]
    if names and op != "DescribeAlarms":
        return [Check(f"cloudwatch:{op}", f"{prefix}:alarm:{n}") for n in names]
    if op in ("DescribeAlarms",):
        return [Check(f"cloudwatch:{op}", "*")]
    if op in (
        "PutMetricData",
        "GetMetricData",
        "GetMetricStatistics",
        "ListMetrics",
        "ListDashboards",
        "DescribeAlarmsForMetric",
        "GetMetricWidgetImage",
    ):
        ctx: Ctx = {}
        if p.get("Namespace"):
            ctx["cloudwatch:namespace"] = [str(p["Namespace"])]
        return [Check(f"cloudwatch:{op}", "*", ctx)]
    if p.get("ResourceARN"):
        return [Check(f"cloudwatch:{op}", str(p["ResourceARN"]))]
    if p.get("DashboardName"):
        return [
            Check(
                f"cloudwatch:{op}",
                f"arn:{call.partition}:cloudwatch::{call.account}:dashboard/{p['DashboardName']}",
            )
        ]
    raise Unmapped(f"cloudwatch:{op}")


def _ec2(call: Call) -> list[Check]:
    if call.operation.startswith("Describe") or call.operation.startswith("Get"):
        return [Check(f"ec2:{call.operation}", "*")]
    raise Unmapped(f"ec2:{call.operation}: only Describe* and Get* calls are mapped")


def _sns(call: Call) -> list[Check]:
    p, op = call.params, call.operation
    arn = p.get("TopicArn") or p.get("ResourceArn")
    if arn:
        return [Check(f"sns:{op}", str(arn))]
    if op == "CreateTopic" and p.get("Name"):
        return [Check(f"sns:{op}", f"arn:{call.partition}:sns:{call.region}:{call.account}:{p['Name']}")]
    if op.startswith("List"):
        return [Check(f"sns:{op}", "*")]
    raise Unmapped(f"sns:{op}")


def _ecr(call: Call) -> list[Check]:
    p, op = call.params, call.operation
    if op in ("GetAuthorizationToken", "DescribeRegistry", "DescribeRepositories") and not p.get(
        "repositoryName"
    ):
        return [Check(f"ecr:{op}", "*")]
    name = p.get("repositoryName")
    if name:
        return [
            Check(f"ecr:{op}", f"arn:{call.partition}:ecr:{call.region}:{call.account}:repository/{name}")
        ]
    raise Unmapped(f"ecr:{op}")


def _unmapped_default(call: Call) -> list[Check]:
    """What :func:`checks` does for a service without a mapping (reads against ``*``)."""
    if call.operation.startswith(READ_PREFIXES):
        return [Check(f"{call.service}:{call.operation}", "*")]
    raise Unmapped(f"no IAM resource mapping for {call.service}:{call.operation or '*'}")


def _athena(call: Call) -> list[Check]:
    """Athena: calls naming a workgroup act on ``workgroup/<name>`` (Service Authorization Reference);
    the rest as a service without a mapping."""
    name = call.params.get("WorkGroup")
    if call.operation in ("GetWorkGroup", "UpdateWorkGroup", "DeleteWorkGroup") and name:
        arn = f"arn:{call.partition}:athena:{call.region}:{call.account}:workgroup/{name}"
        return [Check(f"athena:{call.operation}", arn)]
    return _unmapped_default(call)


def _glue(call: Call) -> list[Check]:
    """Glue Data Catalog: GetTable needs the action on the catalog, the database and the table
    (``catalog``, ``database/<db>``, ``table/<db>/<table>``); the rest as a service without a mapping."""
    p = call.params
    if call.operation == "GetTable" and p.get("DatabaseName") and p.get("Name"):
        prefix = f"arn:{call.partition}:glue:{call.region}:{p.get('CatalogId') or call.account}"
        db, table = str(p["DatabaseName"]).lower(), str(p["Name"]).lower()
        return [
            Check("glue:GetTable", f"{prefix}:catalog"),
            Check("glue:GetTable", f"{prefix}:database/{db}"),
            Check("glue:GetTable", f"{prefix}:table/{db}/{table}"),
        ]
    return _unmapped_default(call)


_MAPPERS = {
    "athena": _athena,
    "glue": _glue,
    "s3": _s3,
    "kms": _kms,
    "sagemaker": _sagemaker,
    "iam": _iam,
    "sts": _sts,
    "logs": _logs,
    "cloudtrail": _cloudtrail,
    "cloudwatch": _cloudwatch,
    "ec2": _ec2,
    "sns": _sns,
    "ecr": _ecr,
}
