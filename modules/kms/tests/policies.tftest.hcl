# Key policy content. aws_iam_policy_document is rendered locally by the real
# provider (no AWS call: credentials, account lookup and metadata checks are
# skipped and the identity data sources are overridden), so the planned
# policies are the real JSON documents.

provider "aws" {
  region                      = "eu-central-1"
  access_key                  = "mock"
  secret_key                  = "mock"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

override_data {
  target = data.aws_caller_identity.current
  values = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/terraform"
    id         = "123456789012"
    user_id    = "AIDAEXAMPLE"
  }
}

override_data {
  target = data.aws_region.current
  values = {
    name = "eu-central-1"
    id   = "eu-central-1"
  }
}

override_data {
  target = data.aws_partition.current
  values = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
    id         = "aws"
  }
}


override_data {
  target = data.aws_iam_session_context.current
  values = {
    issuer_arn = "arn:aws:iam::123456789012:role/terraform"
  }
}

variables {
  name_prefix = "gxp-ml"
}

run "key_custody_by_default" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for p, d in data.aws_iam_policy_document.key : [
        for s in jsondecode(d.json).Statement : [
          for t, ids in s.Principal : [for id in flatten([ids]) : id != "*"]
        ] if s.Effect == "Allow"
      ]
    ]))
    error_message = "A key policy allows a \"*\" principal."
  }

  assert {
    condition = alltrue(flatten([
      for p, d in data.aws_iam_policy_document.key : [
        for s in jsondecode(d.json).Statement : [for a in flatten([s.Action]) : a != "*" && a != "kms:*"]
      ]
    ]))
    error_message = "A key policy allows \"*\" or \"kms:*\" actions (enable_default_policy is off)."
  }

  assert {
    condition = alltrue(flatten([
      for p, d in data.aws_iam_policy_document.key : [
        for s in jsondecode(d.json).Statement : [
          for a in flatten([s.Action]) : !contains(["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"], a)
        ] if s.Effect == "Allow" && contains(flatten([try(s.Principal.AWS, [])]), "arn:aws:iam::123456789012:root")
      ]
    ]))
    error_message = "The account root must hold no administrative action (no kms:* by default)."
  }

  assert {
    condition = alltrue([
      for p, d in data.aws_iam_policy_document.key : one([
        for s in jsondecode(d.json).Statement : s.Principal.AWS if s.Sid == "KeyAdministrators"
      ]) == "arn:aws:iam::123456789012:role/terraform"
    ])
    error_message = "The deploying principal must administer every key (CreateKey lockout check)."
  }

  assert {
    condition = alltrue([
      for p, d in data.aws_iam_policy_document.key : one([
        for s in jsondecode(d.json).Statement : s.Condition.ArnNotEquals["aws:PrincipalArn"]
        if s.Sid == "DenyDeletionAndDisableExceptBreakGlass" && s.Effect == "Deny" && toset(flatten([s.Action])) == toset(["kms:DisableKey", "kms:ScheduleKeyDeletion"])
      ]) == "arn:aws:iam::123456789012:role/terraform"
    ])
    error_message = "Every key must deny deletion and disabling to all but the break-glass principals."
  }

  assert {
    condition = alltrue([
      for p, d in data.aws_iam_policy_document.key : one([
        for s in jsondecode(d.json).Statement : s.Action if s.Sid == "DenyKeyPolicyChangesExceptAdministrators" && s.Effect == "Deny"
      ]) == "kms:PutKeyPolicy"
    ])
    error_message = "PutKeyPolicy must be denied to everyone but the key administrators."
  }

  assert {
    condition = alltrue(flatten([
      for p, d in data.aws_iam_policy_document.key : [
        for s in jsondecode(d.json).Statement : !contains(flatten([s.Action]), "kms:DisableKeyRotation")
      ]
    ]))
    error_message = "No principal may be allowed kms:DisableKeyRotation."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key.this["data"].policy).Statement : s.Sid != "KeyUsers"])
    error_message = "Without key_user_arns nobody uses the data key."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.signing : !strcontains(k.policy, "kms:Decrypt")])
    error_message = "The signing keys must allow no decryption."
  }
}

run "default_policy_pattern" {
  command = plan

  variables {
    enable_default_policy = true
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["data"].policy).Statement : s.Action if s.Sid == "EnableIamUserPermissions"
    ]) == "kms:*"
    error_message = "enable_default_policy must add AWS's default statement (kms:* for the account root)."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_kms_key.this["data"].policy).Statement : s if s.Effect == "Deny"
    ]) == 2
    error_message = "The Denies must stay with enable_default_policy: they bind the root too."
  }
}

run "logs_key_service_principals_are_scoped" {
  command = plan

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : s.Condition.StringLike["kms:EncryptionContext:aws:logs:arn"]
      if s.Sid == "CloudWatchLogsUse"
    ]) == "arn:aws:logs:eu-central-1:123456789012:log-group:*"
    error_message = "The logs key must scope CloudWatch Logs by kms:EncryptionContext:aws:logs:arn."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : s.Principal.Service
      if s.Sid == "CloudWatchLogsUse"
    ]) == "logs.eu-central-1.amazonaws.com"
    error_message = "The CloudWatch Logs principal must be the regional logs service."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : s.Condition.StringLike["aws:SourceArn"]
      if s.Sid == "CloudTrailEncryptLogs"
    ]) == "arn:aws:cloudtrail:eu-central-1:123456789012:trail/*"
    error_message = "CloudTrail must be scoped to this account's trails by aws:SourceArn."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : s.Condition.StringLike["kms:EncryptionContext:aws:cloudtrail:arn"]
      if s.Sid == "CloudTrailEncryptLogs"
    ]) == "arn:aws:cloudtrail:*:123456789012:trail/*"
    error_message = "CloudTrail must be scoped by kms:EncryptionContext:aws:cloudtrail:arn."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : s.Condition.StringEquals["aws:SourceAccount"]
      if s.Sid == "NotificationPublishers"
    ]) == "123456789012"
    error_message = "SNS / CloudWatch / CloudTrail notification use must be scoped by aws:SourceAccount."
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : [
        lookup(s, "Condition", null) != null
      ] if can(s.Principal.Service)
    ]))
    error_message = "Every service-principal statement of the logs key must carry a condition."
  }

  assert {
    condition = alltrue(flatten([
      for p in ["data", "volume", "model"] : [
        for s in jsondecode(aws_kms_key.this[p].policy).Statement : !can(s.Principal.Service)
      ]
    ]))
    error_message = "Only the logs key may name AWS service principals."
  }
}

run "named_principals" {
  command = plan

  variables {
    key_administrator_arns     = ["arn:aws:iam::123456789012:role/kms-admin"]
    break_glass_principal_arns = ["arn:aws:iam::123456789012:role/break-glass"]
    key_user_arns = {
      volume    = ["arn:aws:iam::123456789012:role/gxp-ml-sagemaker-execution"]
      signing   = ["arn:aws:iam::123456789012:role/gxp-ml-validation"]
      approvals = ["arn:aws:iam::123456789012:role/gxp-ml-approver", "arn:aws:iam::123456789012:user/reviewer"]
    }
    cloudtrail_trail_arns = ["arn:aws:cloudtrail:eu-central-1:123456789012:trail/gxp-ml-trail"]
  }

  assert {
    condition = toset(one([
      for s in jsondecode(aws_kms_key.this["model"].policy).Statement : s.Principal.AWS if s.Sid == "KeyAdministrators"
    ])) == toset(["arn:aws:iam::123456789012:role/terraform", "arn:aws:iam::123456789012:role/kms-admin"])
    error_message = "key_administrator_arns must join the deploying principal as administrators."
  }

  assert {
    condition = toset(one([
      for s in jsondecode(aws_kms_key.this["data"].policy).Statement : s.Condition.ArnNotEquals["aws:PrincipalArn"]
      if s.Sid == "DenyDeletionAndDisableExceptBreakGlass"
    ])) == toset(["arn:aws:iam::123456789012:role/terraform", "arn:aws:iam::123456789012:role/break-glass"])
    error_message = "break_glass_principal_arns must be the only exemption (with the deploying principal)."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["volume"].policy).Statement : s.Condition.ArnEquals["aws:PrincipalArn"] if s.Sid == "KeyUsers"
    ]) == "arn:aws:iam::123456789012:role/gxp-ml-sagemaker-execution"
    error_message = "key_user_arns must name the key's users by aws:PrincipalArn."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["volume"].policy).Statement : s.Condition.Bool["kms:GrantIsForAWSResource"]
      if s.Sid == "KeyUsersGrantsForAwsResources"
    ]) == "true"
    error_message = "Grants for key users must be limited to AWS resources."
  }

  assert {
    condition = toset(one([
      for s in jsondecode(aws_kms_key.signing["approvals"].policy).Statement : s.Condition.ArnEquals["aws:PrincipalArn"] if s.Sid == "KeyUsers"
    ])) == toset(["arn:aws:iam::123456789012:role/gxp-ml-approver", "arn:aws:iam::123456789012:user/reviewer"])
    error_message = "Only the approver and reviewers may sign approvals."
  }

  assert {
    condition     = toset(one([for s in jsondecode(aws_kms_key.signing["approvals"].policy).Statement : s.Action if s.Sid == "KeyUsers"])) == toset(["kms:Sign", "kms:Verify"])
    error_message = "Approvals key users may only sign and verify."
  }

  assert {
    condition     = !strcontains(aws_kms_key.signing["signing"].policy, "gxp-ml-approver") && !strcontains(aws_kms_key.signing["approvals"].policy, "gxp-ml-validation")
    error_message = "Machine signatures and people's signatures must use different keys."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : s.Condition.StringLike["aws:SourceArn"]
      if s.Sid == "CloudTrailDescribeKey"
    ]) == "arn:aws:cloudtrail:eu-central-1:123456789012:trail/gxp-ml-trail"
    error_message = "cloudtrail_trail_arns must become the aws:SourceArn condition."
  }
}
