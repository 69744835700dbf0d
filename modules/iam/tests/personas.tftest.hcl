# Persona roles: trust, guardrails and separation of duties. aws_iam_policy_document is rendered locally by the real
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
  approvals_key_arn                         = "arn:aws:kms:eu-central-1:123456789012:key/66666666-6666-6666-6666-666666666666"
}


run "personas_trust_only_their_principals" {
  command = plan

  assert {
    condition = alltrue([
      for r in [aws_iam_role.persona["auditor"], aws_iam_role.persona["validation"], aws_iam_role.persona["data_scientist"], aws_iam_role.persona["approver"]] :
      !strcontains(r.assume_role_policy, ":root")
    ])
    error_message = "No persona may trust the account root."
  }

  assert {
    condition     = jsondecode(aws_iam_role.persona["data_scientist"].assume_role_policy).Statement[0].Principal.AWS == "arn:aws:iam::123456789012:role/data-scientists"
    error_message = "The data scientist role must trust exactly trusted_principal_arns_for_data_scientist."
  }

  assert {
    condition     = jsondecode(aws_iam_role.persona["approver"].assume_role_policy).Statement[0].Principal.AWS == "arn:aws:iam::123456789012:role/qa-approvers"
    error_message = "The approver role must trust exactly trusted_principal_arns_for_approver."
  }

  assert {
    condition     = contains(jsondecode(aws_iam_role.persona["approver"].assume_role_policy).Statement[0].Action, "sts:SetSourceIdentity")
    error_message = "Persona sessions must be able to carry the person as source identity."
  }

  assert {
    condition     = output.data_scientist_role_name == "gxp-ml-data-scientist" && output.approver_role_name == "gxp-ml-approver"
    error_message = "Persona roles must be named <name_prefix>-data-scientist and <name_prefix>-approver."
  }
}

run "data_scientist_guardrails" {
  command = plan

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.persona["data_scientist"].policy).Statement :
      s.Condition["ForAllValues:StringEquals"]["sagemaker:VpcSubnets"] == ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"] &&
      s.Condition.Null["sagemaker:VpcSubnets"] == "false" &&
      s.Condition["ForAllValues:StringEquals"]["sagemaker:VpcSecurityGroupIds"] == "sg-0cccccccccccccccc" &&
      s.Condition.Bool["sagemaker:NetworkIsolation"] == "true" &&
      s.Condition.ArnEquals["sagemaker:VolumeKmsKey"] == "arn:aws:kms:eu-central-1:123456789012:key/44444444-4444-4444-4444-444444444444" &&
      s.Condition.ArnEquals["sagemaker:OutputKmsKey"] == "arn:aws:kms:eu-central-1:123456789012:key/55555555-5555-5555-5555-555555555555" &&
      s.Condition.Bool["sagemaker:InterContainerTrafficEncryption"] == "true"
      if contains(["CreateTrainingJobsInsideGuardrails", "CreateProcessingJobsInsideGuardrails"], s.Sid)
    ])
    error_message = "Training and processing jobs need the VPC, isolation, volume and output keys and inter-container encryption."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.persona["data_scientist"].policy).Statement : s.Condition.Bool["sagemaker:NetworkIsolation"]
      if s.Sid == "CreateModelsInsideGuardrails"
    ]) == "true"
    error_message = "Models need network isolation."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.persona["data_scientist"].policy).Statement : s.Condition.ArnEquals["sagemaker:VolumeKmsKey"]
      if s.Sid == "CreateEndpointConfigsWithVolumeKey"
    ]) == "arn:aws:kms:eu-central-1:123456789012:key/44444444-4444-4444-4444-444444444444"
    error_message = "Endpoint configurations need the volume key."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.persona["data_scientist"].policy).Statement :
      s.Resource == "arn:aws:iam::123456789012:role/gxp-ml-sagemaker-execution" && s.Condition.StringEquals["iam:PassedToService"] == "sagemaker.amazonaws.com"
      if contains(flatten([s.Action]), "iam:PassRole") && s.Effect == "Allow"
    ])
    error_message = "The data scientist may pass only the execution role, only to SageMaker."
  }

  assert {
    condition = !anytrue(flatten([
      for s in jsondecode(aws_iam_role_policy.persona["data_scientist"].policy).Statement : [
        for a in flatten([s.Action]) : contains(["sagemaker:CreateEndpoint", "sagemaker:UpdateModelPackage", "s3:DeleteObject"], a) || endswith(a, "*")
      ] if s.Effect == "Allow"
    ]))
    error_message = "The data scientist must not deploy, approve, delete or use wildcard actions."
  }
}

run "validation_writes_only_evidence_prefix" {
  command = plan

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : s.NotResource if s.Sid == "DenyWritesOutsideEvidencePrefix"
    ]) == "arn:aws:s3:::gxp-ml-evidence/evidence/*"
    error_message = "Writes outside evidence/ (the trail's cloudtrail/ prefix included) must be denied."
  }

  assert {
    condition = alltrue([
      for a in ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"] :
      contains(flatten([for s in jsondecode(aws_iam_role_policy.persona["validation"].policy).Statement : flatten([s.Action]) if s.Effect == "Deny"]), a)
    ])
    error_message = "Deleting evidence and changing its retention must be denied explicitly."
  }
}

run "approver_signs_and_cannot_train_or_deploy" {
  command = plan

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.persona["approver"].policy).Statement : s.Resource if s.Sid == "SignApprovals"
    ]) == "arn:aws:kms:eu-central-1:123456789012:key/66666666-6666-6666-6666-666666666666"
    error_message = "The approver signs with the approvals key only."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.persona["approver"].policy).Statement : flatten([s.Resource]) if s.Sid == "WriteApprovalRecords"
    ])) == toset(["arn:aws:s3:::gxp-ml-evidence/evidence/*/approvals/*", "arn:aws:s3:::gxp-ml-evidence/model-approvals/*"])
    error_message = "Approval records go only under evidence/*/approvals/ and model-approvals/."
  }

  assert {
    condition = alltrue([
      for a in ["sagemaker:CreateTrainingJob", "sagemaker:CreateEndpoint", "iam:PassRole"] :
      contains(flatten([for s in jsondecode(aws_iam_role_policy.persona["approver"].policy).Statement : flatten([s.Action]) if s.Effect == "Deny"]), a)
    ])
    error_message = "The approver must be denied training, deployment and passing roles."
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.persona["approver"].policy, "sagemaker-execution")
    error_message = "The approver must not name the execution role."
  }
}

run "execution_role_kms_via_services" {
  command = plan

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      toset(flatten([s.Condition.StringEquals["kms:ViaService"]])) == toset(["s3.eu-central-1.amazonaws.com", "sagemaker.eu-central-1.amazonaws.com", "ec2.eu-central-1.amazonaws.com"])
      if contains(["KmsUse", "KmsGrantsForAwsResources"], s.Sid)
    ])
    error_message = "The execution role may use the keys only through S3, SageMaker and EC2."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Condition.Bool["kms:GrantIsForAWSResource"]
      if s.Sid == "KmsGrantsForAwsResources"
    ]) == "true"
    error_message = "CreateGrant only for AWS resources."
  }
}
