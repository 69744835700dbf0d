# Output values, with known role and policy ARNs from overrides applied at plan.

mock_provider "aws" {
  source = "./tests/mocks"

  override_resource {
    target          = aws_iam_role.execution
    override_during = plan
    values = {
      arn = "arn:aws:iam::123456789012:role/gxp-ml-sagemaker-execution"
    }
  }

  override_resource {
    target          = aws_iam_role.persona["auditor"]
    override_during = plan
    values = {
      arn = "arn:aws:iam::123456789012:role/gxp-ml-auditor"
    }
  }

  override_resource {
    target          = aws_iam_role.persona["validation"]
    override_during = plan
    values = {
      arn = "arn:aws:iam::123456789012:role/gxp-ml-validation"
    }
  }

  override_resource {
    target          = aws_iam_policy.read_only
    override_during = plan
    values = {
      arn = "arn:aws:iam::123456789012:policy/gxp-ml-platform-read-only"
    }
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
  kms_key_arns                              = ["arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"]
  vpc_id                                    = "vpc-0123456789abcdef0"
  subnet_ids                                = ["subnet-0aaaaaaaaaaaaaaaa"]
  security_group_ids                        = ["sg-0cccccccccccccccc"]
  model_package_group_name                  = "dropout-models"
}

run "outputs_carry_role_arns" {
  command = plan

  assert {
    condition     = output.execution_role_arn == "arn:aws:iam::123456789012:role/gxp-ml-sagemaker-execution"
    error_message = "execution_role_arn must be the execution role ARN."
  }

  assert {
    condition     = output.auditor_role_arn == "arn:aws:iam::123456789012:role/gxp-ml-auditor"
    error_message = "auditor_role_arn must be the auditor role ARN."
  }

  assert {
    condition     = output.validation_role_arn == "arn:aws:iam::123456789012:role/gxp-ml-validation"
    error_message = "validation_role_arn must be the validation role ARN."
  }

  assert {
    condition     = output.read_only_policy_arn == "arn:aws:iam::123456789012:policy/gxp-ml-platform-read-only"
    error_message = "read_only_policy_arn must be the read-only policy ARN."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.persona_read_only["auditor"].policy_arn == output.read_only_policy_arn && aws_iam_role_policy_attachment.persona_read_only["validation"].policy_arn == output.read_only_policy_arn
    error_message = "Both attachments must reference the read-only policy."
  }
}
