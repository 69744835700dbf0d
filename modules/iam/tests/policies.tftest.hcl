# Policy content. aws_iam_policy_document is rendered locally by the real
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
  volume_key_arn                            = "arn:aws:kms:eu-central-1:123456789012:key/44444444-4444-4444-4444-444444444444"
  model_key_arn                             = "arn:aws:kms:eu-central-1:123456789012:key/55555555-5555-5555-5555-555555555555"
  trusted_principal_arns_for_auditor        = ["arn:aws:iam::123456789012:role/auditors"]
  trusted_principal_arns_for_validation     = ["arn:aws:iam::123456789012:role/qa-ci"]
  trusted_principal_arns_for_data_scientist = ["arn:aws:iam::123456789012:role/data-scientists"]
  trusted_principal_arns_for_approver       = ["arn:aws:iam::123456789012:role/qa-approvers"]
  name_prefix                               = "gxp-ml"
  data_bucket_arn                           = "arn:aws:s3:::gxp-ml-data-lake"
  evidence_bucket_arn                       = "arn:aws:s3:::gxp-ml-evidence"
  kms_key_arns                              = ["arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111", "arn:aws:kms:eu-central-1:123456789012:key/33333333-3333-3333-3333-333333333333"]
  signing_key_arn                           = "arn:aws:kms:eu-central-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  vpc_id                                    = "vpc-0123456789abcdef0"
  subnet_ids                                = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  security_group_ids                        = ["sg-0cccccccccccccccc"]
  model_package_group_name                  = "dropout-models"
}

run "execution_role_trusts_only_sagemaker" {
  command = plan

  assert {
    condition     = length(jsondecode(aws_iam_role.execution.assume_role_policy).Statement) == 1
    error_message = "The execution role trust policy must have exactly one statement."
  }

  assert {
    condition     = jsondecode(aws_iam_role.execution.assume_role_policy).Statement[0].Principal == { Service = "sagemaker.amazonaws.com" }
    error_message = "The execution role must trust only sagemaker.amazonaws.com."
  }

  assert {
    condition     = jsondecode(aws_iam_role.execution.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "The execution role trust must carry an aws:SourceAccount condition."
  }
}

run "execution_policy_least_privilege" {
  command = plan

  # No "*" or "service:*" action anywhere, no SageMaker full access.
  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [
        for a in flatten([s.Action]) : !endswith(a, "*") && a != "*"
      ]
    ]))
    error_message = "The execution policy must not contain wildcard actions."
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.execution.policy, "AmazonSageMakerFullAccess") && !strcontains(aws_iam_role_policy.execution.policy, "sagemaker:*")
    error_message = "The execution role must not use SageMaker full access."
  }

  # Resource "*" only for the three calls that AWS cannot scope, each with a condition.
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : flatten([s.Action])
      if contains(flatten([s.Resource]), "*")
    ])) == toset(["cloudwatch:PutMetricData", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ecr:GetAuthorizationToken"])
    error_message = "Only PutMetricData, ec2:Describe* and ecr:GetAuthorizationToken may use Resource \"*\"."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : can(s.Condition)
      if contains(flatten([s.Resource]), "*")
    ])
    error_message = "Every Resource \"*\" statement must carry a condition."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Condition.StringLike["cloudwatch:namespace"]
      if s.Sid == "SageMakerMetrics"
    ]) == "/aws/sagemaker/*"
    error_message = "PutMetricData must be limited to the /aws/sagemaker/* namespaces."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : flatten([s.Resource]) if s.Sid == "DataRead"
    ])) == toset(["arn:aws:s3:::gxp-ml-data-lake/processed/ml/*", "arn:aws:s3:::gxp-ml-data-lake/models/*"])
    error_message = "Reads must be limited to the processed/ml/ and models/ prefixes."
  }

  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : flatten([s.Resource]) if s.Sid == "DataWriteOutputAndCapture"
    ]) == ["arn:aws:s3:::gxp-ml-data-lake/models/*"]
    error_message = "Writes must be limited to the models/ prefix by default."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : flatten([s.Condition.StringLike["s3:prefix"]]) if s.Sid == "DataBucketList"
    ])) == toset(["processed/ml/*", "models/*"])
    error_message = "ListBucket must be limited to the data prefixes."
  }

  assert {
    condition = !anytrue(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [
        for a in flatten([s.Action]) : contains(["s3:DeleteObject", "s3:PutBucketPolicy", "iam:PassRole", "kms:PutKeyPolicy"], a)
      ]
    ]))
    error_message = "The execution role must not delete objects, change policies or pass roles."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Condition.ArnEquals["ec2:Vpc"]
      if s.Sid == "VpcManageEniInVpc"
    ]) == "arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-0123456789abcdef0"
    error_message = "ENI management must be limited to the platform VPC by ec2:Vpc."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : flatten([s.Resource]) if s.Sid == "VpcCreateEniInSubnetsAndGroups"
    ])) == toset(["arn:aws:ec2:eu-central-1:123456789012:subnet/subnet-0aaaaaaaaaaaaaaaa", "arn:aws:ec2:eu-central-1:123456789012:subnet/subnet-0bbbbbbbbbbbbbbbb", "arn:aws:ec2:eu-central-1:123456789012:security-group/sg-0cccccccccccccccc"])
    error_message = "ENI creation must be limited to the given subnets and security groups."
  }

  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : flatten([s.Resource]) if s.Sid == "EcrPullImages"
    ]) == ["arn:aws:ecr:eu-central-1:492215442770:repository/sagemaker-xgboost"]
    error_message = "Image pulls must default to the regional SageMaker XGBoost repository."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Condition.Bool["kms:GrantIsForAWSResource"]
      if s.Sid == "KmsGrantsForAwsResources"
    ]) == "true"
    error_message = "kms:CreateGrant must be limited to AWS resources."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : flatten([s.Resource]) if s.Sid == "SageMakerLogs"
    ])) == toset(["arn:aws:logs:eu-central-1:123456789012:log-group:/aws/sagemaker/TrainingJobs", "arn:aws:logs:eu-central-1:123456789012:log-group:/aws/sagemaker/TrainingJobs:*", "arn:aws:logs:eu-central-1:123456789012:log-group:/aws/sagemaker/Endpoints/*"])
    error_message = "Log writes must be limited to the SageMaker training and endpoint log groups."
  }
}

run "auditor_is_read_only" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_policy.read_only.policy).Statement : [
        for a in flatten([s.Action]) : can(regex("^[a-z0-9]+:(Describe|Get|List|LookupEvents$|FilterLogEvents$|Decrypt$|SimulatePrincipalPolicy$)", a))
      ]
    ]))
    error_message = "The read-only policy may only describe, get, list, look up, filter, simulate or decrypt through S3."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_policy.read_only.policy).Statement : s.Condition.StringEquals["kms:ViaService"]
      if s.Sid == "KmsDecryptViaS3"
    ]) == "s3.eu-central-1.amazonaws.com"
    error_message = "The auditor may decrypt only through S3."
  }

  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_policy.read_only.policy).Statement : flatten([s.Resource]) if s.Sid == "EvidenceRead"
    ]) == ["arn:aws:s3:::gxp-ml-evidence/*"]
    error_message = "Object reads must be limited to the evidence bucket."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_policy.read_only.policy).Statement : can(s.Condition.StringEquals["aws:RequestedRegion"])
      if contains(flatten([s.Resource]), "*")
    ])
    error_message = "Resource \"*\" listings must be limited to the region."
  }

  assert {
    condition     = jsondecode(aws_iam_role.persona["auditor"].assume_role_policy).Statement[0].Principal.AWS == "arn:aws:iam::123456789012:role/auditors"
    error_message = "The auditor role must trust exactly trusted_principal_arns_for_auditor."
  }

  assert {
    condition     = jsondecode(aws_iam_role.persona["auditor"].assume_role_policy).Statement[0].Condition.Bool["aws:MultiFactorAuthPresent"] == "true"
    error_message = "MFA must be required by default."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.persona_read_only["auditor"].role == "gxp-ml-auditor"
    error_message = "The read-only policy must be attached to the auditor role."
  }
}

run "validation_role_scope" {
  command = plan

  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : flatten([s.Resource]) if s.Sid == "InvokeEndpoint"
    ]) == ["arn:aws:sagemaker:eu-central-1:123456789012:endpoint/dropout-inference"]
    error_message = "The validation role may invoke only the platform endpoint."
  }

  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : flatten([s.Resource]) if s.Sid == "SignEvidence"
    ]) == ["arn:aws:kms:eu-central-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
    error_message = "The validation role may sign only with the signing key."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : flatten([s.Action]) if s.Sid == "SignEvidence"
    ])) == toset(["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"])
    error_message = "The signing statement must allow Sign, Verify, GetPublicKey and DescribeKey."
  }

  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : flatten([s.Resource]) if s.Sid == "EvidenceWrite"
    ]) == ["arn:aws:s3:::gxp-ml-evidence/evidence/*"]
    error_message = "The validation role may write only under evidence/ of the evidence bucket."
  }

  assert {
    condition = !anytrue(flatten([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : [
        for a in flatten([s.Action]) : startswith(a, "s3:Delete") || startswith(a, "s3:PutObjectRetention") || startswith(a, "s3:BypassGovernance")
      ] if s.Effect == "Allow"
    ]))
    error_message = "The validation role must not delete evidence or change its retention."
  }

  assert {
    condition     = contains(flatten([for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : flatten([s.Action])]), "logs:FilterLogEvents")
    error_message = "The validation role must be able to filter SageMaker log events."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.persona_read_only["validation"].role == "gxp-ml-validation"
    error_message = "The read-only policy must be attached to the validation role."
  }
}

run "validation_role_qualification_reads" {
  command = plan

  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : flatten([s.Resource]) if s.Sid == "QualificationAthenaWorkgroupRead"
    ]) == ["arn:aws:athena:eu-central-1:123456789012:workgroup/gxp-ml-*"]
    error_message = "The validation role may read only the platform's Athena workgroups."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : flatten([s.Resource]) if s.Sid == "QualificationCatalogTableRead"
      ])) == toset([
      "arn:aws:glue:eu-central-1:123456789012:catalog",
      "arn:aws:glue:eu-central-1:123456789012:database/gxp_ml_*",
      "arn:aws:glue:eu-central-1:123456789012:table/gxp_ml_*/*",
    ])
    error_message = "The validation role may read only the platform's catalog tables."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : alltrue([
        for a in flatten([s.Action]) : can(regex("^(athena:Get|glue:Get)", a))
      ]) if startswith(s.Sid, "Qualification")
    ])
    error_message = "The qualification statements of the validation role only read."
  }

  assert {
    condition = !anytrue(flatten([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : [
        for r in flatten([s.Resource]) : r == "*"
      ] if startswith(s.Sid, "Qualification")
    ]))
    error_message = "The qualification reads of the validation role name their resources (no \"*\")."
  }
}

run "no_signing_key_no_signing" {
  command = plan

  variables {
    signing_key_arn                       = null
    trusted_principal_arns_for_auditor    = ["arn:aws:iam::210987654321:role/qa-auditor"]
    trusted_principal_arns_for_validation = ["arn:aws:iam::123456789012:role/ci-runner"]
    auditor_require_mfa                   = true
    sagemaker_image_repository_arns       = ["arn:aws:ecr:eu-central-1:123456789012:repository/dropout-inference"]
    data_write_prefixes                   = ["models/", "processed/ml/data-capture/"]
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.persona["validation"].policy, "kms:Sign")
    error_message = "Without signing_key_arn the validation role must not sign."
  }

  assert {
    condition     = jsondecode(aws_iam_role.persona["auditor"].assume_role_policy).Statement[0].Principal.AWS == "arn:aws:iam::210987654321:role/qa-auditor"
    error_message = "trusted_principal_arns_for_auditor must become the auditor trust principals."
  }

  assert {
    condition     = toset(flatten([jsondecode(aws_iam_role.persona["auditor"].assume_role_policy).Statement[0].Condition.StringEquals["aws:PrincipalAccount"]])) == toset(["123456789012", "210987654321"])
    error_message = "The auditor trust must be limited to the trusted principals' accounts."
  }

  assert {
    condition     = jsondecode(aws_iam_role.persona["auditor"].assume_role_policy).Statement[0].Condition.Bool["aws:MultiFactorAuthPresent"] == "true"
    error_message = "auditor_require_mfa must add an MFA condition."
  }

  assert {
    condition     = jsondecode(aws_iam_role.persona["validation"].assume_role_policy).Statement[0].Principal.AWS == "arn:aws:iam::123456789012:role/ci-runner"
    error_message = "trusted_principal_arns_for_validation must become the validation trust principals."
  }

  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : flatten([s.Resource]) if s.Sid == "EcrPullImages"
    ]) == ["arn:aws:ecr:eu-central-1:123456789012:repository/dropout-inference"]
    error_message = "sagemaker_image_repository_arns must replace the default repository."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : flatten([s.Resource]) if s.Sid == "DataWriteOutputAndCapture"
    ])) == toset(["arn:aws:s3:::gxp-ml-data-lake/models/*", "arn:aws:s3:::gxp-ml-data-lake/processed/ml/data-capture/*"])
    error_message = "data_write_prefixes must set the writable prefixes."
  }
}
