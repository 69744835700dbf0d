data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"

  # Symmetric encryption keys, one per kind of data at rest. All rotate.
  symmetric_keys = {
    data   = "S3 data lake and evidence objects"
    volume = "EBS / ML storage volumes of training jobs, endpoints and notebooks"
    model  = "model artifacts, endpoint storage and data capture"
    logs   = "CloudWatch Logs, CloudTrail and alarm SNS topic"
  }

  purposes = concat(keys(local.symmetric_keys), ["signing"])

  # Read-only actions on a key: needed by Terraform refresh and by auditors.
  read_actions = [
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:GetPublicKey",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
  ]

  # Administrative actions. kms:DisableKeyRotation is deliberately absent:
  # no principal may switch rotation off (GxP).
  admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]

  symmetric_use_actions = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]

  grant_actions = [
    "kms:CreateGrant",
    "kms:ListGrants",
    "kms:RevokeGrant",
  ]

  signing_use_actions = [
    "kms:Sign",
    "kms:Verify",
  ]

  use_actions = {
    for p in local.purposes : p => p == "signing" ? local.signing_use_actions : concat(local.symmetric_use_actions, ["kms:CreateGrant", "kms:RetireGrant"])
  }

  key_users = {
    for p in local.purposes : p => p == "signing" ? var.signing_key_user_arns : var.key_user_role_arns
  }

  trail_source_arns = length(var.cloudtrail_trail_arns) > 0 ? var.cloudtrail_trail_arns : [
    "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/*"
  ]
}

# One key policy per purpose. Principals: the account root (IAM delegation),
# the given ARNs, and for the logs key the AWS service principals, each
# constrained by conditions. Resource "*" in a key policy means "this key".
data "aws_iam_policy_document" "key" {
  for_each = toset(local.purposes)

  #checkov:skip=CKV_AWS_109:key policy - Resource "*" is the key itself; kms:PutKeyPolicy is limited to account/administrators
  #checkov:skip=CKV_AWS_111:key policy - Resource "*" is the key itself, write actions are limited to named principals
  #checkov:skip=CKV_AWS_356:key policy - Resource "*" is the only valid resource in a key policy (it means this key)
  statement {
    sid       = "AccountIamDelegation"
    effect    = "Allow"
    actions   = concat(local.read_actions, length(var.key_administrator_arns) == 0 ? local.admin_actions : [], local.use_actions[each.key])
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
  }

  dynamic "statement" {
    for_each = length(var.key_administrator_arns) > 0 ? [1] : []

    content {
      sid       = "KeyAdministrators"
      effect    = "Allow"
      actions   = concat(local.read_actions, local.admin_actions)
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = var.key_administrator_arns
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.key_users[each.key]) > 0 ? [1] : []

    content {
      sid       = "KeyUsers"
      effect    = "Allow"
      actions   = concat(["kms:DescribeKey"], each.key == "signing" ? concat(local.signing_use_actions, ["kms:GetPublicKey"]) : local.symmetric_use_actions)
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = local.key_users[each.key]
      }
    }
  }

  # Grants only for AWS services acting for the key users (EBS volumes of
  # training jobs and endpoints, SageMaker storage).
  dynamic "statement" {
    for_each = each.key != "signing" && length(local.key_users[each.key]) > 0 ? [1] : []

    content {
      sid       = "KeyUsersGrantsForAwsResources"
      effect    = "Allow"
      actions   = local.grant_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = local.key_users[each.key]
      }

      condition {
        test     = "Bool"
        variable = "kms:GrantIsForAWSResource"
        values   = ["true"]
      }
    }
  }

  # CloudWatch Logs: only for log groups of this account and region.
  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []

    content {
      sid    = "CloudWatchLogsUse"
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
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
      }
    }
  }

  # CloudTrail log file encryption, only for this account's trail(s).
  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []

    content {
      sid       = "CloudTrailEncryptLogs"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }

      condition {
        test     = "StringLike"
        variable = "aws:SourceArn"
        values   = local.trail_source_arns
      }

      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:cloudtrail:arn"
        values   = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []

    content {
      sid       = "CloudTrailDescribeKey"
      effect    = "Allow"
      actions   = ["kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }

      condition {
        test     = "StringLike"
        variable = "aws:SourceArn"
        values   = local.trail_source_arns
      }
    }
  }

  # Encrypted SNS topic for alarms and trail notifications: the publishing
  # services need the key, only on behalf of this account.
  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []

    content {
      sid       = "NotificationPublishers"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com", "cloudwatch.amazonaws.com", "sns.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.symmetric_keys

  description              = "${var.name_prefix} ${each.key} key: ${each.value}"
  key_usage                = "ENCRYPT_DECRYPT"
  customer_master_key_spec = "SYMMETRIC_DEFAULT"
  enable_key_rotation      = var.enable_key_rotation
  rotation_period_in_days  = var.rotation_period_in_days
  deletion_window_in_days  = var.deletion_window_in_days
  multi_region             = var.multi_region
  is_enabled               = true
  policy                   = data.aws_iam_policy_document.key[each.key].json

  tags = merge(var.tags, {
    Name    = "${var.name_prefix}-${each.key}"
    Purpose = each.key
  })
}

# Evidence signing key. Asymmetric keys cannot rotate automatically (AWS KMS
# supports automatic rotation for symmetric encryption keys only); a new key
# is created and the old one kept for verification when a rotation is due.
resource "aws_kms_key" "signing" {
  #checkov:skip=CKV_AWS_7:asymmetric RSA_2048 SIGN_VERIFY key - AWS KMS cannot rotate asymmetric keys automatically, see README

  description              = "${var.name_prefix} signing key: digital signatures over qualification evidence"
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = "RSA_2048"
  enable_key_rotation      = false
  deletion_window_in_days  = var.deletion_window_in_days
  multi_region             = var.multi_region
  is_enabled               = true
  policy                   = data.aws_iam_policy_document.key["signing"].json

  tags = merge(var.tags, {
    Name    = "${var.name_prefix}-signing"
    Purpose = "signing"
  })
}

locals {
  key_arns = merge(
    { for p, k in aws_kms_key.this : p => k.arn },
    { signing = aws_kms_key.signing.arn },
  )
  key_ids = merge(
    { for p, k in aws_kms_key.this : p => k.key_id },
    { signing = aws_kms_key.signing.key_id },
  )
}

resource "aws_kms_alias" "this" {
  for_each = toset(local.purposes)

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = local.key_ids[each.key]
}
