data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

# The principal that applies (its role when it is an assumed-role session): CreateKey's lockout check
# requires it to keep kms:PutKeyPolicy, so it is always a key administrator.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"
  deployer   = data.aws_iam_session_context.current.issuer_arn

  # Symmetric encryption keys, one per kind of data at rest. All rotate.
  symmetric_keys = {
    data   = "S3 data lake and evidence objects"
    volume = "ML storage volumes of training jobs, processing jobs, endpoints and notebooks"
    model  = "model artifacts, training output and endpoint data capture"
    logs   = "CloudWatch Logs, CloudTrail and the alarm SNS topic"
  }

  # Asymmetric signing keys: evidence manifests (machine) and people's approvals (approver, reviewers).
  signing_keys = {
    signing   = "digital signatures over qualification evidence"
    approvals = "people's electronic signatures: approvals, deviation resolutions, model approvals"
  }

  purposes = concat(keys(local.symmetric_keys), keys(local.signing_keys))

  key_administrators = distinct(concat([local.deployer], var.key_administrator_arns))
  # aws:PrincipalArn of a session is its role's ARN; the deploying principal keeps PutKeyPolicy anyway
  # (lockout check), so exempting it too lets Terraform destroy without weakening custody.
  break_glass = distinct(concat([local.deployer], var.break_glass_principal_arns))

  # Read-only actions on a key: Terraform refresh, auditors and the qualification suites.
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

  # Administrative actions of the key administrators. kms:DisableKeyRotation is deliberately absent:
  # no principal may switch rotation off (GxP). ScheduleKeyDeletion and DisableKey are allowed here but
  # denied below to everyone outside the break-glass list.
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

  signing_use_actions = ["kms:Sign", "kms:Verify"]

  use_actions = {
    for p in local.purposes : p => contains(keys(local.signing_keys), p) ? local.signing_use_actions : local.symmetric_use_actions
  }

  key_users = { for p in local.purposes : p => distinct(lookup(var.key_user_arns, p, [])) }

  protected = toset(var.deletion_protected_purposes)

  trail_source_arns = length(var.cloudtrail_trail_arns) > 0 ? var.cloudtrail_trail_arns : [
    "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/*"
  ]
}

# One key policy per purpose. Resource "*" in a key policy means "this key".
#  - no kms:* for the account root unless enable_default_policy (AWS's default key policy);
#  - named key administrators (always including the deploying principal) administer;
#  - key users are named by aws:PrincipalArn under the account principal: IAM must allow them too, and
#    the roles need not exist before the keys (no dependency cycle with the iam module);
#  - explicit Denies: deletion/disable for all but break-glass, PutKeyPolicy for all but administrators.
data "aws_iam_policy_document" "key" {
  for_each = toset(local.purposes)

  #checkov:skip=CKV_AWS_109:key policy - Resource "*" is the key itself; kms:PutKeyPolicy is limited to the named administrators and denied to everyone else
  #checkov:skip=CKV_AWS_111:key policy - Resource "*" is the key itself, write actions are limited to named principals
  #checkov:skip=CKV_AWS_356:key policy - Resource "*" is the only valid resource in a key policy (it means this key)
  dynamic "statement" {
    for_each = var.enable_default_policy ? [1] : []

    content {
      sid       = "EnableIamUserPermissions"
      effect    = "Allow"
      actions   = ["kms:*"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }
    }
  }

  statement {
    sid       = "KeyAdministrators"
    effect    = "Allow"
    actions   = concat(local.read_actions, local.admin_actions)
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.key_administrators
    }
  }

  # Metadata only (describe, policy, rotation status, public key): IAM policies of the account decide.
  statement {
    sid       = "AccountReadKeyMetadata"
    effect    = "Allow"
    actions   = local.read_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
  }

  dynamic "statement" {
    for_each = length(local.key_users[each.key]) > 0 ? [1] : []

    content {
      sid       = "KeyUsers"
      effect    = "Allow"
      actions   = local.use_actions[each.key]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = local.key_users[each.key]
      }
    }
  }

  # Grants only for AWS services acting for the key users (ML storage volumes, SageMaker storage).
  dynamic "statement" {
    for_each = contains(keys(local.symmetric_keys), each.key) && length(local.key_users[each.key]) > 0 ? [1] : []

    content {
      sid       = "KeyUsersGrantsForAwsResources"
      effect    = "Allow"
      actions   = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = local.key_users[each.key]
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
        test     = "StringLike"
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

  # Encrypted SNS topic for security alarms and trail notifications: the publishing services need the
  # key, only on behalf of this account.
  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []

    content {
      sid       = "NotificationPublishers"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  # An explicit Deny binds everyone, administrators and the account root included: only the named
  # break-glass principals may schedule deletion of, or disable, a protected key.
  dynamic "statement" {
    for_each = contains(local.protected, each.key) ? [1] : []

    content {
      sid       = "DenyDeletionAndDisableExceptBreakGlass"
      effect    = "Deny"
      actions   = ["kms:DisableKey", "kms:ScheduleKeyDeletion"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = local.break_glass
      }
    }
  }

  statement {
    sid       = "DenyKeyPolicyChangesExceptAdministrators"
    effect    = "Deny"
    actions   = ["kms:PutKeyPolicy"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = local.key_administrators
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.symmetric_keys
  #policy-lint:skip=RESOURCE_STAR:in a key policy Resource "*" is the key itself and the only valid value
  #policy-lint:skip=UNKNOWN_CONDITION_FOR_ACTION:the logs key's CloudWatchLogsUse follows AWS's documented CloudWatch Logs key policy, which puts kms:DescribeKey under the kms:EncryptionContext:aws:logs:arn condition with the encryption actions

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

# Signing keys. Asymmetric keys cannot rotate automatically (AWS KMS rotates symmetric encryption keys
# only); a new key is created and the old one kept for verification when a rotation is due. RSA_4096:
# signatures must stay trustworthy for the ten-year retention of the evidence they protect.
resource "aws_kms_key" "signing" {
  for_each = local.signing_keys
  #policy-lint:skip=RESOURCE_STAR:in a key policy Resource "*" is the key itself and the only valid value
  #checkov:skip=CKV_AWS_7:asymmetric SIGN_VERIFY key - AWS KMS cannot rotate asymmetric keys automatically, see README

  description              = "${var.name_prefix} ${each.key} key: ${each.value}"
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = var.signing_key_spec
  enable_key_rotation      = false
  deletion_window_in_days  = var.deletion_window_in_days
  multi_region             = var.multi_region
  is_enabled               = true
  policy                   = data.aws_iam_policy_document.key[each.key].json

  tags = merge(var.tags, {
    Name    = "${var.name_prefix}-${each.key}"
    Purpose = each.key
  })
}

locals {
  key_arns = merge(
    { for p, k in aws_kms_key.this : p => k.arn },
    { for p, k in aws_kms_key.signing : p => k.arn },
  )
  key_ids = merge(
    { for p, k in aws_kms_key.this : p => k.key_id },
    { for p, k in aws_kms_key.signing : p => k.key_id },
  )
}

resource "aws_kms_alias" "this" {
  for_each = toset(local.purposes)

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = local.key_ids[each.key]
}

moved {
  from = aws_kms_key.signing
  to   = aws_kms_key.signing["signing"]
}
