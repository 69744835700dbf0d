# Planned roles, names, tags and attachments with default inputs.

mock_provider "aws" {
  source = "./tests/mocks"
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
  tags = {
    Project = "gxp-ml"
  }
}

run "role_names" {
  command = plan

  assert {
    condition     = aws_iam_role.execution.name == "gxp-ml-sagemaker-execution"
    error_message = "The execution role must be named <name_prefix>-sagemaker-execution."
  }

  assert {
    condition     = aws_iam_role.persona["auditor"].name == "gxp-ml-auditor"
    error_message = "The auditor role must be named <name_prefix>-auditor."
  }

  assert {
    condition     = aws_iam_role.persona["validation"].name == "gxp-ml-validation"
    error_message = "The validation role must be named <name_prefix>-validation."
  }

  assert {
    condition     = aws_iam_policy.read_only.name == "gxp-ml-platform-read-only"
    error_message = "The read-only policy must be named <name_prefix>-platform-read-only."
  }

  assert {
    condition     = output.execution_role_name == "gxp-ml-sagemaker-execution" && output.auditor_role_name == "gxp-ml-auditor" && output.validation_role_name == "gxp-ml-validation"
    error_message = "Role name outputs must match the planned names."
  }
}

run "session_boundary_and_tags" {
  command = plan

  assert {
    condition     = aws_iam_role.execution.max_session_duration == 3600 && aws_iam_role.persona["auditor"].max_session_duration == 3600 && aws_iam_role.persona["validation"].max_session_duration == 3600
    error_message = "max_session_duration must default to one hour on every role."
  }

  assert {
    condition     = aws_iam_role.execution.permissions_boundary == null
    error_message = "No permissions boundary by default."
  }

  assert {
    condition     = alltrue([for r in [aws_iam_role.execution, aws_iam_role.persona["auditor"], aws_iam_role.persona["validation"]] : r.tags["Project"] == "gxp-ml" && r.tags["Name"] == r.name])
    error_message = "Every role must carry the given tags and its Name."
  }

  assert {
    condition     = aws_iam_policy.read_only.tags["Project"] == "gxp-ml"
    error_message = "The read-only policy must carry the given tags."
  }
}

run "no_managed_full_access" {
  command = plan

  assert {
    condition     = aws_iam_role_policy_attachment.persona_read_only["auditor"].role == "gxp-ml-auditor" && aws_iam_role_policy_attachment.persona_read_only["validation"].role == "gxp-ml-validation"
    error_message = "Only the read-only policy is attached, to the auditor and validation roles."
  }

  assert {
    condition     = aws_iam_role_policy.execution.name == "gxp-ml-sagemaker-execution" && aws_iam_role_policy.persona["validation"].name == "gxp-ml-validation"
    error_message = "Execution and validation permissions must be inline policies named after their roles."
  }

  assert {
    condition     = output.image_repository_arns == tolist(["arn:aws:ecr:eu-central-1:492215442770:repository/sagemaker-xgboost"])
    error_message = "The default image repository must be the regional SageMaker XGBoost repository."
  }
}

run "custom_session_and_boundary" {
  command = plan

  variables {
    max_session_duration     = 7200
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/gxp-boundary"
  }

  assert {
    condition     = aws_iam_role.persona["auditor"].max_session_duration == 7200 && aws_iam_role.persona["validation"].max_session_duration == 7200
    error_message = "max_session_duration must reach the auditor and validation roles."
  }

  assert {
    condition     = alltrue([for r in [aws_iam_role.execution, aws_iam_role.persona["auditor"], aws_iam_role.persona["validation"]] : r.permissions_boundary == "arn:aws:iam::123456789012:policy/gxp-boundary"])
    error_message = "permissions_boundary_arn must reach every role."
  }
}
