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

variables {
  name_prefix = "gxp-ml"
}

run "default_policies_have_no_wildcard_principal" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for p, d in data.aws_iam_policy_document.key : [
        for s in jsondecode(d.json).Statement : [
          for t, ids in s.Principal : [for id in flatten([ids]) : id != "*"]
        ]
      ]
    ]))
    error_message = "A key policy has a \"*\" principal."
  }

  assert {
    condition = alltrue(flatten([
      for p, d in data.aws_iam_policy_document.key : [
        for s in jsondecode(d.json).Statement : [for a in flatten([s.Action]) : a != "*" && a != "kms:*"]
      ]
    ]))
    error_message = "A key policy allows \"*\" or \"kms:*\" actions."
  }

  assert {
    condition     = alltrue([for p, d in data.aws_iam_policy_document.key : jsondecode(d.json).Statement[0].Principal.AWS == "arn:aws:iam::123456789012:root"])
    error_message = "The first statement of every key policy must delegate to the account root."
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
    condition     = contains(jsondecode(data.aws_iam_policy_document.key["data"].json).Statement[0].Action, "kms:PutKeyPolicy")
    error_message = "Without key_administrator_arns the account root must administer the keys."
  }

  assert {
    condition     = length(jsondecode(aws_kms_key.this["data"].policy).Statement) == 1
    error_message = "The data key policy must contain only the account statement by default."
  }

  assert {
    condition     = contains(jsondecode(aws_kms_key.signing.policy).Statement[0].Action, "kms:Sign") && !contains(jsondecode(aws_kms_key.signing.policy).Statement[0].Action, "kms:Decrypt")
    error_message = "The signing key policy must allow signing and no decryption."
  }
}

run "logs_key_service_principals_are_scoped" {
  command = plan

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]
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
    key_administrator_arns = ["arn:aws:iam::123456789012:role/kms-admin"]
    key_user_role_arns     = ["arn:aws:iam::123456789012:role/gxp-ml-sagemaker-execution"]
    signing_key_user_arns  = ["arn:aws:iam::123456789012:role/gxp-ml-validation"]
    cloudtrail_trail_arns  = ["arn:aws:cloudtrail:eu-central-1:123456789012:trail/gxp-ml-trail"]
  }

  assert {
    condition     = !contains(jsondecode(aws_kms_key.this["data"].policy).Statement[0].Action, "kms:PutKeyPolicy")
    error_message = "With key_administrator_arns the account root must not hold administrative actions."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["model"].policy).Statement : s.Principal.AWS if s.Sid == "KeyAdministrators"
    ]) == "arn:aws:iam::123456789012:role/kms-admin"
    error_message = "key_administrator_arns must be the administrators' principals."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["volume"].policy).Statement : s.Principal.AWS if s.Sid == "KeyUsers"
    ]) == "arn:aws:iam::123456789012:role/gxp-ml-sagemaker-execution"
    error_message = "key_user_role_arns must be the symmetric key users."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["volume"].policy).Statement : s.Condition.Bool["kms:GrantIsForAWSResource"]
      if s.Sid == "KeyUsersGrantsForAwsResources"
    ]) == "true"
    error_message = "Grants for key users must be limited to AWS resources."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.signing.policy).Statement : s.Principal.AWS if s.Sid == "KeyUsers"
    ]) == "arn:aws:iam::123456789012:role/gxp-ml-validation"
    error_message = "signing_key_user_arns must be the signing key users."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.signing.policy).Statement : !can(s.Principal.AWS) || s.Principal.AWS != "arn:aws:iam::123456789012:role/gxp-ml-sagemaker-execution"
    ])
    error_message = "The SageMaker key users must not be able to sign evidence."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : s.Condition.StringLike["aws:SourceArn"]
      if s.Sid == "CloudTrailDescribeKey"
    ]) == "arn:aws:cloudtrail:eu-central-1:123456789012:trail/gxp-ml-trail"
    error_message = "cloudtrail_trail_arns must become the aws:SourceArn condition."
  }
}
