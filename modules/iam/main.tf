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

  role_names = {
    execution  = "${var.name_prefix}-sagemaker-execution"
    auditor    = "${var.name_prefix}-auditor"
    validation = "${var.name_prefix}-validation"
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
  name   = "${var.name_prefix}-sagemaker-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

################################################################################
# Shared read-only policy (auditor and validation roles)
################################################################################

data "aws_iam_policy_document" "read_only" {
  statement {
    sid    = "SageMakerDescribe"
    effect = "Allow"
    actions = [
      "sagemaker:DescribeEndpoint",
      "sagemaker:DescribeEndpointConfig",
      "sagemaker:DescribeModel",
      "sagemaker:DescribeModelPackage",
      "sagemaker:DescribeModelPackageGroup",
      "sagemaker:DescribeNotebookInstance",
      "sagemaker:DescribePipeline",
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
      "ec2:DescribeFlowLogs",
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
      "kms:ListKeyRotations",
      "kms:ListResourceTags",
    ]
    resources = compact(concat(var.kms_key_arns, [var.signing_key_arn]))
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
      "s3:GetBucketLocation",
      "s3:GetBucketLogging",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetBucketOwnershipControls",
      "s3:GetBucketPolicy",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketTagging",
      "s3:GetBucketVersioning",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
    ]
    resources = [var.data_bucket_arn, var.evidence_bucket_arn]
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
      "cloudwatch:DescribeAlarms",
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
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListRolePolicies",
    ]
    resources = [
      "${local.arn_prefix.iam}:role/${var.name_prefix}-*",
      "${local.arn_prefix.iam}:policy/${var.name_prefix}-*",
    ]
  }
}

resource "aws_iam_policy" "read_only" {
  name        = "${var.name_prefix}-platform-read-only"
  description = "Read-only view of the ${var.name_prefix} platform: describe/list/get, evidence objects, logs. No writes."
  policy      = data.aws_iam_policy_document.read_only.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-platform-read-only" })
}

################################################################################
# Auditor role
################################################################################

data "aws_iam_policy_document" "auditor_trust" {
  statement {
    sid     = "TrustedAuditors"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = length(var.trusted_principal_arns_for_auditor) > 0 ? var.trusted_principal_arns_for_auditor : [local.root_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = distinct(concat([local.account_id], [for a in var.trusted_principal_arns_for_auditor : split(":", a)[4]]))
    }

    dynamic "condition" {
      for_each = var.auditor_require_mfa ? [1] : []

      content {
        test     = "Bool"
        variable = "aws:MultiFactorAuthPresent"
        values   = ["true"]
      }
    }
  }
}

resource "aws_iam_role" "auditor" {
  name                 = local.role_names.auditor
  description          = "Read-only auditor of ${var.name_prefix}: describe/list/get and evidence reads, no writes."
  assume_role_policy   = data.aws_iam_policy_document.auditor_trust.json
  permissions_boundary = var.permissions_boundary_arn
  max_session_duration = var.max_session_duration

  tags = merge(var.tags, { Name = local.role_names.auditor })
}

resource "aws_iam_role_policy_attachment" "auditor_read_only" {
  role       = aws_iam_role.auditor.name
  policy_arn = aws_iam_policy.read_only.arn
}

################################################################################
# Validation role (IQ / OQ qualification)
################################################################################

data "aws_iam_policy_document" "validation_trust" {
  statement {
    sid     = "TrustedQualificationRunners"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = length(var.trusted_principal_arns_for_validation) > 0 ? var.trusted_principal_arns_for_validation : [local.root_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = distinct(concat([local.account_id], [for a in var.trusted_principal_arns_for_validation : split(":", a)[4]]))
    }
  }
}

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

  # Evidence is written once; Object Lock keeps it. No delete, no retention change.
  statement {
    sid       = "EvidenceWrite"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = [local.evidence_objects]
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
}

resource "aws_iam_role" "validation" {
  name                 = local.role_names.validation
  description          = "Qualification (IQ/OQ) role of ${var.name_prefix}: read-only view, endpoint invocation, evidence signing and upload."
  assume_role_policy   = data.aws_iam_policy_document.validation_trust.json
  permissions_boundary = var.permissions_boundary_arn
  max_session_duration = var.max_session_duration

  tags = merge(var.tags, { Name = local.role_names.validation })
}

resource "aws_iam_role_policy" "validation" {
  name   = "${var.name_prefix}-validation"
  role   = aws_iam_role.validation.id
  policy = data.aws_iam_policy_document.validation.json
}

resource "aws_iam_role_policy_attachment" "validation_read_only" {
  role       = aws_iam_role.validation.name
  policy_arn = aws_iam_policy.read_only.arn
}
