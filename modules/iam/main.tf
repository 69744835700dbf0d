data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"

  arn_prefix = {
    ec2        = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
    logs       = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
    sagemaker  = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
    cloudtrail = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}"
    cloudwatch = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}"
    sns        = "arn:${local.partition}:sns:${local.region}:${local.account_id}"
    iam        = "arn:${local.partition}:iam::${local.account_id}"
  }

  # Glue database and table names of the platform: the prefix with underscores (Glue lower-cases them).
  glue_prefix = lower(replace(var.name_prefix, "-", "_"))

  role_names = {
    execution      = "${var.name_prefix}-sagemaker-execution"
    auditor        = "${var.name_prefix}-auditor"
    validation     = "${var.name_prefix}-validation"
    data_scientist = "${var.name_prefix}-data-scientist"
    approver       = "${var.name_prefix}-approver"
  }

  # Registries of the SageMaker built-in XGBoost image per region (AWS-owned
  # accounts, as published in the SageMaker Python SDK image URI config).
  xgboost_registry_accounts = {
    "af-south-1"     = "510948584623"
    "ap-east-1"      = "651117190479"
    "ap-northeast-1" = "354813040037"
    "ap-northeast-2" = "366743142698"
    "ap-northeast-3" = "867004704886"
    "ap-south-1"     = "720646828776"
    "ap-southeast-1" = "121021644041"
    "ap-southeast-2" = "783357654285"
    "ca-central-1"   = "341280168497"
    "cn-north-1"     = "450853457545"
    "cn-northwest-1" = "451049120500"
    "eu-central-1"   = "492215442770"
    "eu-north-1"     = "662702820516"
    "eu-south-1"     = "978288397137"
    "eu-west-1"      = "141502667606"
    "eu-west-2"      = "764974769150"
    "eu-west-3"      = "659782779980"
    "me-south-1"     = "801668240914"
    "sa-east-1"      = "737474898029"
    "us-east-1"      = "683313688378"
    "us-east-2"      = "257758044811"
    "us-gov-west-1"  = "414596584902"
    "us-west-1"      = "746614075791"
    "us-west-2"      = "246618743249"
  }

  default_image_repository_arns = contains(keys(local.xgboost_registry_accounts), local.region) ? [
    "arn:${local.partition}:ecr:${local.region}:${local.xgboost_registry_accounts[local.region]}:repository/sagemaker-xgboost"
  ] : []

  image_repository_arns = length(var.sagemaker_image_repository_arns) > 0 ? var.sagemaker_image_repository_arns : local.default_image_repository_arns

  vpc_arn = "${local.arn_prefix.ec2}:vpc/${var.vpc_id}"

  # SageMaker writes ARNs with lower-case resource names.
  model_package_group = lower(var.model_package_group_name)
  endpoint            = lower(var.endpoint_name)

  sagemaker_log_groups = [
    "${local.arn_prefix.logs}:log-group:/aws/sagemaker/TrainingJobs",
    "${local.arn_prefix.logs}:log-group:/aws/sagemaker/TrainingJobs:*",
    "${local.arn_prefix.logs}:log-group:/aws/sagemaker/Endpoints/*",
  ]

  readable_log_groups = flatten([
    for p in var.readable_log_group_prefixes : [
      "${local.arn_prefix.logs}:log-group:${p}*",
    ]
  ])

  evidence_objects = "${var.evidence_bucket_arn}/*"
  kms_via_s3       = "s3.${local.region}.amazonaws.com"
  kms_via_services = [for s in ["s3", "sagemaker", "ec2"] : "${s}.${local.region}.amazonaws.com"]

  execution_role_arn = "${local.arn_prefix.iam}:role/${local.role_names.execution}"

  # Where people and the qualification write into the evidence bucket. The trail's delivery prefix
  # (cloudtrail/) is nobody's to write.
  evidence_write_prefix = "evidence/"
  approval_object_arns = [
    "${var.evidence_bucket_arn}/evidence/*/approvals/*",
    "${var.evidence_bucket_arn}/model-approvals/*",
  ]

  # The persona roles: who may assume each (sts:SetSourceIdentity: the session names the person) and
  # what the role is for. Every persona also gets the shared read-only view; the auditor gets nothing else.
  personas = {
    auditor = {
      principals  = var.trusted_principal_arns_for_auditor
      mfa         = var.auditor_require_mfa
      description = "Read-only auditor of ${var.name_prefix}: describe/list/get and evidence reads, no writes."
    }
    validation = {
      principals  = var.trusted_principal_arns_for_validation
      mfa         = false
      description = "Qualification (IQ/OQ/PQ) role of ${var.name_prefix}: read-only view, endpoint invocation, evidence signing and upload under evidence/."
    }
    data_scientist = {
      principals  = var.trusted_principal_arns_for_data_scientist
      mfa         = false
      description = "Data scientist of ${var.name_prefix}: training and processing jobs, models and endpoint configurations only inside the platform's VPC, KMS and isolation guardrails."
    }
    approver = {
      principals  = var.trusted_principal_arns_for_approver
      mfa         = false
      description = "Approver of ${var.name_prefix}: signs approvals with the approvals key and approves model versions; cannot train or deploy."
    }
  }

  # Each persona's own inline policy, named like its role (keys known at plan: for_each needs them).
  persona_policies = {
    validation     = data.aws_iam_policy_document.validation.json
    data_scientist = data.aws_iam_policy_document.data_scientist.json
    approver       = data.aws_iam_policy_document.approver.json
  }
}

################################################################################
# SageMaker execution role
################################################################################

data "aws_iam_policy_document" "execution_trust" {
  statement {
    sid     = "SageMakerOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }

    # Confused-deputy protection: only SageMaker acting for this account.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "DataBucketList"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.data_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for p in distinct(concat(var.data_read_prefixes, var.data_write_prefixes)) : "${p}*"]
    }
  }

  statement {
    sid       = "DataBucketLocation"
    effect    = "Allow"
    actions   = ["s3:GetBucketLocation"]
    resources = [var.data_bucket_arn]
  }

  statement {
    sid       = "DataRead"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [for p in distinct(concat(var.data_read_prefixes, var.data_write_prefixes)) : "${var.data_bucket_arn}/${p}*"]
  }

  statement {
    sid       = "DataWriteOutputAndCapture"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = [for p in var.data_write_prefixes : "${var.data_bucket_arn}/${p}*"]
  }

  statement {
    sid    = "KmsUse"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = var.kms_key_arns

    # Only through the services that encrypt for the role: S3 objects, SageMaker and EC2 volumes.
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.kms_via_services
    }
  }

  # Grants let EBS / SageMaker storage use the keys for this role's volumes.
  statement {
    sid       = "KmsGrantsForAwsResources"
    effect    = "Allow"
    actions   = ["kms:CreateGrant"]
    resources = var.kms_key_arns

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.kms_via_services
    }
  }

  statement {
    sid       = "SageMakerLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = local.sagemaker_log_groups
  }

  # cloudwatch:PutMetricData supports no resource-level permissions: AWS
  # requires Resource "*". Limited to SageMaker's own namespaces.
  statement {
    sid       = "SageMakerMetrics"
    effect    = "Allow"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*"]
    }
  }

  # ec2:Describe* calls support no resource-level permissions: AWS requires
  # Resource "*". Read-only, limited to this region.
  statement {
    sid    = "VpcDescribe"
    effect = "Allow"
    actions = [
      "ec2:DescribeDhcpOptions",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  # New ENIs only in the given subnets, with the given security groups.
  statement {
    sid     = "VpcCreateEniInSubnetsAndGroups"
    effect  = "Allow"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      [for s in var.subnet_ids : "${local.arn_prefix.ec2}:subnet/${s}"],
      [for g in var.security_group_ids : "${local.arn_prefix.ec2}:security-group/${g}"],
    )
  }

  # The ENI resources themselves, only inside the platform VPC.
  statement {
    sid    = "VpcManageEniInVpc"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:CreateNetworkInterfacePermission",
      "ec2:DeleteNetworkInterface",
      "ec2:DeleteNetworkInterfacePermission",
    ]
    resources = ["${local.arn_prefix.ec2}:network-interface/*"]

    condition {
      test     = "ArnEquals"
      variable = "ec2:Vpc"
      values   = [local.vpc_arn]
    }
  }

  # ecr:GetAuthorizationToken supports no resource-level permissions: AWS
  # requires Resource "*". The token alone grants nothing: image pulls are
  # limited to the repositories below.
  statement {
    sid       = "EcrAuthorizationToken"
    effect    = "Allow"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  statement {
    sid    = "EcrPullImages"
    effect = "Allow"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = local.image_repository_arns
  }

  statement {
    sid    = "ModelRegistry"
    effect = "Allow"
    actions = [
      "sagemaker:CreateModelPackage",
      "sagemaker:DescribeModelPackage",
      "sagemaker:DescribeModelPackageGroup",
    ]
    resources = [
      "${local.arn_prefix.sagemaker}:model-package-group/${local.model_package_group}",
      "${local.arn_prefix.sagemaker}:model-package/${local.model_package_group}/*",
    ]
  }
}

resource "aws_iam_role" "execution" {
  name                 = local.role_names.execution
  description          = "SageMaker execution role of ${var.name_prefix}: training, model hosting and data capture."
  assume_role_policy   = data.aws_iam_policy_document.execution_trust.json
  permissions_boundary = var.permissions_boundary_arn
  max_session_duration = 3600

  tags = merge(var.tags, { Name = local.role_names.execution })

  lifecycle {
    precondition {
      condition     = length(local.image_repository_arns) > 0
      error_message = "sagemaker_image_repository_arns must be set: no default SageMaker XGBoost registry is known for this region."
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  #policy-lint:skip=RESOURCE_MISMATCH:ec2:CreateNetworkInterface is split on purpose - the subnets and security groups in one statement, the network interface (with the ec2:Vpc condition that only it supports) in another
  name   = "${var.name_prefix}-sagemaker-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

################################################################################
# Shared read-only policy (every persona): what the IQ/OQ/PQ suites and an auditor read
################################################################################

data "aws_iam_policy_document" "read_only" {
  statement {
    sid    = "SageMakerDescribe"
    effect = "Allow"
    actions = [
      "sagemaker:DescribeEndpoint",
      "sagemaker:DescribeEndpointConfig",
      "sagemaker:DescribeFeatureGroup",
      "sagemaker:DescribeModel",
      "sagemaker:DescribeModelPackage",
      "sagemaker:DescribeModelPackageGroup",
      "sagemaker:DescribeNotebookInstance",
      "sagemaker:DescribePipeline",
      "sagemaker:DescribeProcessingJob",
      "sagemaker:DescribeTrainingJob",
      "sagemaker:ListTags",
    ]
    resources = ["${local.arn_prefix.sagemaker}:*"]
  }

  # List / describe-all calls support no resource-level permissions: AWS
  # requires Resource "*". All read-only, limited to this region.
  statement {
    sid    = "RegionalListings"
    effect = "Allow"
    actions = [
      "cloudtrail:DescribeTrails",
      "cloudtrail:ListTrails",
      "cloudtrail:LookupEvents",
      "cloudwatch:DescribeAlarms",
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeEgressOnlyInternetGateways",
      "ec2:DescribeFlowLogs",
      "ec2:DescribeInternetGateways",
      "ec2:DescribeNatGateways",
      "ec2:DescribeNetworkAcls",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroupRules",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeVpcs",
      "kms:ListAliases",
      "kms:ListKeys",
      "logs:DescribeLogGroups",
      "sagemaker:ListEndpointConfigs",
      "sagemaker:ListEndpoints",
      "sagemaker:ListModelPackageGroups",
      "sagemaker:ListModelPackages",
      "sagemaker:ListModels",
      "sagemaker:ListNotebookInstances",
      "sagemaker:ListProcessingJobs",
      "sagemaker:ListTrainingJobs",
      "sns:ListTopics",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  statement {
    sid    = "KmsKeyMetadata"
    effect = "Allow"
    actions = [
      "kms:DescribeKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:GetPublicKey",
      "kms:ListKeyPolicies",
      "kms:ListKeyRotations",
      "kms:ListResourceTags",
    ]
    resources = compact(concat(var.kms_key_arns, [var.signing_key_arn, var.approvals_key_arn]))
  }

  # Read SSE-KMS encrypted evidence, only through S3.
  statement {
    sid       = "KmsDecryptViaS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = var.kms_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.kms_via_s3]
    }
  }

  statement {
    sid    = "BucketConfiguration"
    effect = "Allow"
    actions = [
      "s3:GetBucketAcl",
      "s3:GetBucketLocation",
      "s3:GetBucketLogging",
      "s3:GetBucketNotification",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetBucketOwnershipControls",
      "s3:GetBucketPolicy",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketTagging",
      "s3:GetBucketVersioning",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
    ]
    resources = compact([var.data_bucket_arn, var.evidence_bucket_arn, var.access_log_bucket_arn])
  }

  # Model artifacts, quality documents, training data and data capture, for the OQ/PQ suites.
  statement {
    sid       = "BucketListAndHead"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = compact([var.data_bucket_arn, var.access_log_bucket_arn])
  }

  statement {
    sid       = "DataLakeRead"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion"]
    resources = [for p in distinct(concat(var.data_read_prefixes, var.data_write_prefixes)) : "${var.data_bucket_arn}/${p}*"]
  }

  statement {
    sid       = "EvidenceList"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:ListBucketVersions"]
    resources = [var.evidence_bucket_arn]
  }

  statement {
    sid    = "EvidenceRead"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:GetObjectAttributes",
      "s3:GetObjectLegalHold",
      "s3:GetObjectRetention",
      "s3:GetObjectTagging",
      "s3:GetObjectVersion",
      "s3:GetObjectVersionAttributes",
    ]
    resources = [local.evidence_objects]
  }

  statement {
    sid    = "LogsRead"
    effect = "Allow"
    actions = [
      "logs:DescribeLogStreams",
      "logs:DescribeMetricFilters",
      "logs:FilterLogEvents",
      "logs:GetLogEvents",
      "logs:ListTagsForResource",
    ]
    resources = local.readable_log_groups
  }

  statement {
    sid    = "TrailRead"
    effect = "Allow"
    actions = [
      "cloudtrail:GetEventSelectors",
      "cloudtrail:GetTrail",
      "cloudtrail:GetTrailStatus",
      "cloudtrail:ListTags",
    ]
    resources = ["${local.arn_prefix.cloudtrail}:trail/*"]
  }

  statement {
    sid    = "AlarmsAndTopicsRead"
    effect = "Allow"
    actions = [
      "cloudwatch:DescribeAlarmHistory",
      "cloudwatch:ListTagsForResource",
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:ListTagsForResource",
    ]
    resources = [
      "${local.arn_prefix.cloudwatch}:alarm:*",
      "${local.arn_prefix.sns}:*",
    ]
  }

  statement {
    sid    = "PlatformRolesRead"
    effect = "Allow"
    actions = [
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:GetRole",
      "iam:GetContextKeysForPrincipalPolicy",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
      "iam:SimulatePrincipalPolicy",
    ]
    resources = [
      "${local.arn_prefix.iam}:role/${var.name_prefix}-*",
      "${local.arn_prefix.iam}:policy/${var.name_prefix}-*",
    ]
  }
}

resource "aws_iam_policy" "read_only" {
  #policy-lint:skip=RESOURCE_STAR:cloudwatch:DescribeAlarms is called as a listing (AlarmNamePrefix) in RegionalListings - read-only and bound to the region like the other listings
  #policy-lint:skip=RESOURCE_MISMATCH:parliament 1.6.4's action table gives s3:GetObjectAttributes only the access point resource; AWS's service authorization reference lists the object resource, which EvidenceRead names
  name        = "${var.name_prefix}-platform-read-only"
  description = "Read-only view of the ${var.name_prefix} platform: describe/list/get, evidence objects, logs. No writes."
  policy      = data.aws_iam_policy_document.read_only.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-platform-read-only" })
}

################################################################################
# Persona trust: named principals only (variables), never the whole account
################################################################################

data "aws_iam_policy_document" "persona_trust" {
  for_each = local.personas

  statement {
    sid     = "TrustedPrincipals"
    effect  = "Allow"
    actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]

    principals {
      type        = "AWS"
      identifiers = each.value.principals
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = distinct(concat([local.account_id], [for a in each.value.principals : split(":", a)[4]]))
    }

    dynamic "condition" {
      for_each = each.value.mfa ? [1] : []

      content {
        test     = "Bool"
        variable = "aws:MultiFactorAuthPresent"
        values   = ["true"]
      }
    }
  }
}

################################################################################
# Persona roles: its trust, its own policy and the shared read-only view, for every persona
################################################################################

resource "aws_iam_role" "persona" {
  for_each = local.personas

  name                 = local.role_names[each.key]
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.persona_trust[each.key].json
  permissions_boundary = var.permissions_boundary_arn
  max_session_duration = var.max_session_duration

  tags = merge(var.tags, { Name = local.role_names[each.key] })
}

resource "aws_iam_role_policy" "persona" {
  for_each = local.persona_policies

  name   = local.role_names[each.key]
  role   = aws_iam_role.persona[each.key].id
  policy = each.value
}

resource "aws_iam_role_policy_attachment" "persona_read_only" {
  for_each = local.personas

  role       = aws_iam_role.persona[each.key].name
  policy_arn = aws_iam_policy.read_only.arn
}

# Each persona had its own blocks before: an applied platform's roles move, none is replaced.
moved {
  from = aws_iam_role.auditor
  to   = aws_iam_role.persona["auditor"]
}

moved {
  from = aws_iam_role.validation
  to   = aws_iam_role.persona["validation"]
}

moved {
  from = aws_iam_role.data_scientist
  to   = aws_iam_role.persona["data_scientist"]
}

moved {
  from = aws_iam_role.approver
  to   = aws_iam_role.persona["approver"]
}

moved {
  from = aws_iam_role_policy.validation
  to   = aws_iam_role_policy.persona["validation"]
}

moved {
  from = aws_iam_role_policy.data_scientist
  to   = aws_iam_role_policy.persona["data_scientist"]
}

moved {
  from = aws_iam_role_policy.approver
  to   = aws_iam_role_policy.persona["approver"]
}

moved {
  from = aws_iam_role_policy_attachment.auditor_read_only
  to   = aws_iam_role_policy_attachment.persona_read_only["auditor"]
}

moved {
  from = aws_iam_role_policy_attachment.validation_read_only
  to   = aws_iam_role_policy_attachment.persona_read_only["validation"]
}

moved {
  from = aws_iam_role_policy_attachment.data_scientist_read_only
  to   = aws_iam_role_policy_attachment.persona_read_only["data_scientist"]
}

moved {
  from = aws_iam_role_policy_attachment.approver_read_only
  to   = aws_iam_role_policy_attachment.persona_read_only["approver"]
}

################################################################################
# Validation persona's policy (IQ / OQ / PQ qualification): reads, invokes, signs, writes evidence/ only
################################################################################

data "aws_iam_policy_document" "validation" {
  statement {
    sid       = "InvokeEndpoint"
    effect    = "Allow"
    actions   = ["sagemaker:InvokeEndpoint"]
    resources = ["${local.arn_prefix.sagemaker}:endpoint/${local.endpoint}"]
  }

  statement {
    sid     = "SageMakerLogsRead"
    effect  = "Allow"
    actions = ["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents"]
    resources = [
      "${local.arn_prefix.logs}:log-group:/aws/sagemaker/Endpoints/${var.endpoint_name}",
      "${local.arn_prefix.logs}:log-group:/aws/sagemaker/Endpoints/${var.endpoint_name}:*",
      "${local.arn_prefix.logs}:log-group:/aws/sagemaker/TrainingJobs",
      "${local.arn_prefix.logs}:log-group:/aws/sagemaker/TrainingJobs:*",
    ]
  }

  # IQ reads beyond the shared read-only view, found denied by a run of the IQ suite as this role:
  # the feature store's catalog table and Athena workgroup (the platform's own, named by its prefix;
  # Glue's GetTable is authorised on catalog, database and table alike). The key policies' names and
  # the feature group are in the read-only view.
  statement {
    sid       = "QualificationAthenaWorkgroupRead"
    effect    = "Allow"
    actions   = ["athena:GetWorkGroup"]
    resources = ["arn:${local.partition}:athena:${local.region}:${local.account_id}:workgroup/${var.name_prefix}-*"]
  }

  statement {
    sid     = "QualificationCatalogTableRead"
    effect  = "Allow"
    actions = ["glue:GetTable"]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.glue_prefix}_*",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.glue_prefix}_*/*",
    ]
  }

  # Evidence is written once under evidence/; Object Lock keeps it. No delete, no retention change.
  statement {
    sid       = "EvidenceWrite"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${var.evidence_bucket_arn}/${local.evidence_write_prefix}*"]
  }

  statement {
    sid       = "KmsForEvidenceViaS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = var.kms_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.kms_via_s3]
    }
  }

  dynamic "statement" {
    for_each = var.signing_key_arn == null ? [] : [var.signing_key_arn]

    content {
      sid       = "SignEvidence"
      effect    = "Allow"
      actions   = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"]
      resources = [statement.value]
    }
  }

  # Explicit Denies hold whatever else is attached: nothing outside evidence/ (the trail's delivery
  # prefix included), no deletion and no retention or legal-hold change of any evidence.
  statement {
    sid           = "DenyWritesOutsideEvidencePrefix"
    effect        = "Deny"
    actions       = ["s3:PutObject"]
    not_resources = ["${var.evidence_bucket_arn}/${local.evidence_write_prefix}*"]
  }

  statement {
    sid    = "DenyEvidenceDeletionAndRetentionChanges"
    effect = "Deny"
    actions = [
      "s3:BypassGovernanceRetention",
      "s3:DeleteBucket",
      "s3:DeleteBucketPolicy",
      "s3:DeleteObject",
      "s3:DeleteObjectTagging",
      "s3:DeleteObjectVersion",
      "s3:DeleteObjectVersionTagging",
      "s3:PutBucketObjectLockConfiguration",
      "s3:PutBucketPolicy",
      "s3:PutBucketVersioning",
      "s3:PutLifecycleConfiguration",
      "s3:PutObjectLegalHold",
      "s3:PutObjectRetention",
    ]
    resources = [var.evidence_bucket_arn, local.evidence_objects]
  }
}

################################################################################
# Data scientist persona's policy: SageMaker work only inside the guardrails
################################################################################

locals {
  # Every create call must carry the platform's VPC, network isolation, the volume and output keys and
  # inter-container encryption (SageMaker's IAM condition keys). A missing key fails the condition:
  # single-valued operators are false on an absent key; the multi-valued ones are made so by Null.
  vpc_conditions = [
    { test = "Null", variable = "sagemaker:VpcSubnets", values = ["false"] },
    { test = "ForAllValues:StringEquals", variable = "sagemaker:VpcSubnets", values = var.subnet_ids },
    { test = "Null", variable = "sagemaker:VpcSecurityGroupIds", values = ["false"] },
    { test = "ForAllValues:StringEquals", variable = "sagemaker:VpcSecurityGroupIds", values = var.security_group_ids },
  ]
  isolation_condition = [{ test = "Bool", variable = "sagemaker:NetworkIsolation", values = ["true"] }]
  job_conditions = concat(local.vpc_conditions, local.isolation_condition, [
    { test = "ArnEquals", variable = "sagemaker:VolumeKmsKey", values = [var.volume_key_arn] },
    { test = "ArnEquals", variable = "sagemaker:OutputKmsKey", values = [var.model_key_arn] },
    { test = "Bool", variable = "sagemaker:InterContainerTrafficEncryption", values = ["true"] },
  ])
  guarded_creates = {
    CreateTrainingJobsInsideGuardrails = {
      actions    = ["sagemaker:CreateTrainingJob"]
      resources  = ["${local.arn_prefix.sagemaker}:training-job/*"]
      conditions = local.job_conditions
    }
    CreateProcessingJobsInsideGuardrails = {
      actions    = ["sagemaker:CreateProcessingJob"]
      resources  = ["${local.arn_prefix.sagemaker}:processing-job/*"]
      conditions = local.job_conditions
    }
    CreateModelsInsideGuardrails = {
      actions    = ["sagemaker:CreateModel"]
      resources  = ["${local.arn_prefix.sagemaker}:model/*"]
      conditions = concat(local.vpc_conditions, local.isolation_condition)
    }
    CreateEndpointConfigsWithVolumeKey = {
      actions    = ["sagemaker:CreateEndpointConfig"]
      resources  = ["${local.arn_prefix.sagemaker}:endpoint-config/*"]
      conditions = [{ test = "ArnEquals", variable = "sagemaker:VolumeKmsKey", values = [var.volume_key_arn] }]
    }
  }
}

data "aws_iam_policy_document" "data_scientist" {
  dynamic "statement" {
    for_each = local.guarded_creates

    content {
      sid       = statement.key
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  # Tags on what the data scientist creates (CreateTrainingJob with Tags needs sagemaker:AddTags).
  statement {
    sid     = "TagOnCreate"
    effect  = "Allow"
    actions = ["sagemaker:AddTags"]
    resources = [
      "${local.arn_prefix.sagemaker}:training-job/*",
      "${local.arn_prefix.sagemaker}:processing-job/*",
      "${local.arn_prefix.sagemaker}:model/*",
      "${local.arn_prefix.sagemaker}:endpoint-config/*",
    ]
  }

  statement {
    sid     = "StopOwnJobs"
    effect  = "Allow"
    actions = ["sagemaker:StopProcessingJob", "sagemaker:StopTrainingJob"]
    resources = [
      "${local.arn_prefix.sagemaker}:training-job/*",
      "${local.arn_prefix.sagemaker}:processing-job/*",
    ]
  }

  # Registering a model version leaves it pending: approval is the approver's.
  statement {
    sid       = "RegisterModelVersionsPendingApproval"
    effect    = "Allow"
    actions   = ["sagemaker:CreateModelPackage"]
    resources = ["${local.arn_prefix.sagemaker}:model-package/${local.model_package_group}/*", "${local.arn_prefix.sagemaker}:model-package-group/${local.model_package_group}"]

    condition {
      test     = "StringEquals"
      variable = "sagemaker:ModelApprovalStatus"
      values   = ["PendingManualApproval"]
    }
  }

  # Only the execution role, only to SageMaker.
  statement {
    sid       = "PassOnlyTheExecutionRoleToSageMaker"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = [local.execution_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  statement {
    sid       = "TrainingDataWrite"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = [for p in var.data_read_prefixes : "${var.data_bucket_arn}/${p}*"]
  }

  statement {
    sid       = "KmsForDataViaS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = var.kms_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.kms_via_s3]
    }
  }

  # SageMaker checks the caller may use the volume and output keys it names.
  statement {
    sid       = "KmsKeysNamedInSageMakerRequests"
    effect    = "Allow"
    actions   = ["kms:CreateGrant", "kms:DescribeKey"]
    resources = [var.volume_key_arn, var.model_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sagemaker.${local.region}.amazonaws.com"]
    }
  }

  # Approval and deployment belong to other people and to the deploying pipeline.
  statement {
    sid    = "DenyApprovalAndDeployment"
    effect = "Deny"
    actions = [
      "sagemaker:CreateEndpoint",
      "sagemaker:DeleteEndpoint",
      "sagemaker:UpdateEndpoint",
      "sagemaker:UpdateEndpointWeightsAndCapacities",
      "sagemaker:UpdateModelPackage",
    ]
    resources = ["*"]
  }
}

################################################################################
# Approver persona's policy: signs approvals, approves model versions; never trains or deploys
################################################################################

data "aws_iam_policy_document" "approver" {
  dynamic "statement" {
    for_each = var.approvals_key_arn == null ? [] : [var.approvals_key_arn]

    content {
      sid       = "SignApprovals"
      effect    = "Allow"
      actions   = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"]
      resources = [statement.value]
    }
  }

  # Approval records are new objects under evidence/<run>/approvals/ and model-approvals/; Object Lock
  # keeps every version, so a second write never replaces the first.
  statement {
    sid       = "WriteApprovalRecords"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = local.approval_object_arns
  }

  statement {
    sid       = "KmsForApprovalRecordsViaS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = var.kms_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.kms_via_s3]
    }
  }

  statement {
    sid       = "ApproveModelVersions"
    effect    = "Allow"
    actions   = ["sagemaker:UpdateModelPackage"]
    resources = ["${local.arn_prefix.sagemaker}:model-package/${local.model_package_group}/*"]
  }

  statement {
    sid    = "DenyTrainingAndDeployment"
    effect = "Deny"
    actions = [
      "iam:PassRole",
      "sagemaker:CreateEndpoint",
      "sagemaker:CreateEndpointConfig",
      "sagemaker:CreateModel",
      "sagemaker:CreateProcessingJob",
      "sagemaker:CreateTrainingJob",
      "sagemaker:UpdateEndpoint",
    ]
    resources = ["*"]
  }

  statement {
    sid           = "DenyWritesOutsideApprovalRecords"
    effect        = "Deny"
    actions       = ["s3:PutObject"]
    not_resources = local.approval_object_arns
  }
}
