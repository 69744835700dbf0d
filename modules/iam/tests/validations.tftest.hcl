# Every validation rejects a bad value at plan time.

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
}

run "name_prefix_too_long" {
  command = plan

  variables {
    name_prefix = "gxp-ml-platform-with-a-name-far-too-long-for-iam"
  }

  expect_failures = [var.name_prefix]
}

run "name_prefix_invalid_characters" {
  command = plan

  variables {
    name_prefix = "gxp ml"
  }

  expect_failures = [var.name_prefix]
}

run "data_bucket_arn_with_wildcard" {
  command = plan

  variables {
    data_bucket_arn = "arn:aws:s3:::*"
  }

  expect_failures = [var.data_bucket_arn]
}

run "data_bucket_arn_with_key" {
  command = plan

  variables {
    data_bucket_arn = "arn:aws:s3:::gxp-ml-data-lake/processed"
  }

  expect_failures = [var.data_bucket_arn]
}

run "evidence_bucket_arn_not_s3" {
  command = plan

  variables {
    evidence_bucket_arn = "arn:aws:kms:eu-central-1:123456789012:key/x"
  }

  expect_failures = [var.evidence_bucket_arn]
}

run "kms_key_arns_empty" {
  command = plan

  variables {
    kms_key_arns = []
  }

  expect_failures = [var.kms_key_arns]
}

run "kms_key_arns_alias" {
  command = plan

  variables {
    kms_key_arns = ["arn:aws:kms:eu-central-1:123456789012:alias/gxp-ml-data"]
  }

  expect_failures = [var.kms_key_arns]
}

run "signing_key_arn_wildcard" {
  command = plan

  variables {
    signing_key_arn = "*"
  }

  expect_failures = [var.signing_key_arn]
}

run "vpc_id_invalid" {
  command = plan

  variables {
    vpc_id = "vpc_main"
  }

  expect_failures = [var.vpc_id]
}

run "subnet_ids_empty" {
  command = plan

  variables {
    subnet_ids = []
  }

  expect_failures = [var.subnet_ids]
}

run "subnet_ids_invalid" {
  command = plan

  variables {
    subnet_ids = ["subnet-*"]
  }

  expect_failures = [var.subnet_ids]
}

run "security_group_ids_empty" {
  command = plan

  variables {
    security_group_ids = []
  }

  expect_failures = [var.security_group_ids]
}

run "security_group_ids_invalid" {
  command = plan

  variables {
    security_group_ids = ["default"]
  }

  expect_failures = [var.security_group_ids]
}

run "image_repository_wildcard" {
  command = plan

  variables {
    sagemaker_image_repository_arns = ["arn:aws:ecr:eu-central-1:492215442770:repository/*"]
  }

  expect_failures = [var.sagemaker_image_repository_arns]
}

run "model_package_group_name_invalid" {
  command = plan

  variables {
    model_package_group_name = "dropout_models"
  }

  expect_failures = [var.model_package_group_name]
}

run "endpoint_name_invalid" {
  command = plan

  variables {
    endpoint_name = "-dropout"
  }

  expect_failures = [var.endpoint_name]
}

run "data_read_prefixes_wildcard" {
  command = plan

  variables {
    data_read_prefixes = ["*"]
  }

  expect_failures = [var.data_read_prefixes]
}

run "data_read_prefixes_empty" {
  command = plan

  variables {
    data_read_prefixes = []
  }

  expect_failures = [var.data_read_prefixes]
}

run "data_write_prefixes_leading_slash" {
  command = plan

  variables {
    data_write_prefixes = ["/models/"]
  }

  expect_failures = [var.data_write_prefixes]
}

run "data_write_prefixes_without_trailing_slash" {
  command = plan

  variables {
    data_write_prefixes = ["models"]
  }

  expect_failures = [var.data_write_prefixes]
}

run "readable_log_group_prefixes_wildcard" {
  command = plan

  variables {
    readable_log_group_prefixes = ["*"]
  }

  expect_failures = [var.readable_log_group_prefixes]
}

run "auditor_trust_wildcard" {
  command = plan

  variables {
    trusted_principal_arns_for_auditor = ["*"]
  }

  expect_failures = [var.trusted_principal_arns_for_auditor]
}

run "auditor_trust_wildcard_role" {
  command = plan

  variables {
    trusted_principal_arns_for_auditor = ["arn:aws:iam::123456789012:role/*"]
  }

  expect_failures = [var.trusted_principal_arns_for_auditor]
}

run "validation_trust_service" {
  command = plan

  variables {
    trusted_principal_arns_for_validation = ["sagemaker.amazonaws.com"]
  }

  expect_failures = [var.trusted_principal_arns_for_validation]
}

run "max_session_duration_too_short" {
  command = plan

  variables {
    max_session_duration = 900
  }

  expect_failures = [var.max_session_duration]
}

run "max_session_duration_too_long" {
  command = plan

  variables {
    max_session_duration = 43201
  }

  expect_failures = [var.max_session_duration]
}

run "permissions_boundary_not_policy" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:role/boundary"
  }

  expect_failures = [var.permissions_boundary_arn]
}

# A region without a known SageMaker XGBoost registry needs explicit repositories.
run "unknown_region_needs_image_repositories" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = {
      name = "xx-nowhere-1"
    }
  }

  expect_failures = [aws_iam_role.execution]
}

run "unknown_region_with_image_repositories_plans" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = {
      name = "xx-nowhere-1"
    }
  }

  variables {
    sagemaker_image_repository_arns = ["arn:aws:ecr:xx-nowhere-1:123456789012:repository/xgboost"]
  }

  assert {
    condition     = output.image_repository_arns == tolist(["arn:aws:ecr:xx-nowhere-1:123456789012:repository/xgboost"])
    error_message = "Explicit repositories must be used in a region without a default."
  }
}

run "auditor_trust_empty" {
  command = plan

  variables {
    trusted_principal_arns_for_auditor = []
  }

  expect_failures = [var.trusted_principal_arns_for_auditor]
}

run "validation_trust_account_root" {
  command = plan

  variables {
    trusted_principal_arns_for_validation = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.trusted_principal_arns_for_validation]
}

run "data_scientist_trust_empty" {
  command = plan

  variables {
    trusted_principal_arns_for_data_scientist = []
  }

  expect_failures = [var.trusted_principal_arns_for_data_scientist]
}

run "approver_trust_wildcard" {
  command = plan

  variables {
    trusted_principal_arns_for_approver = ["arn:aws:iam::123456789012:role/*"]
  }

  expect_failures = [var.trusted_principal_arns_for_approver]
}

run "volume_key_alias_rejected" {
  command = plan

  variables {
    volume_key_arn = "alias/gxp-ml-volume"
  }

  expect_failures = [var.volume_key_arn]
}

run "model_key_id_rejected" {
  command = plan

  variables {
    model_key_arn = "55555555-5555-5555-5555-555555555555"
  }

  expect_failures = [var.model_key_arn]
}

run "approvals_key_wildcard_rejected" {
  command = plan

  variables {
    approvals_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/*"
  }

  expect_failures = [var.approvals_key_arn]
}

run "access_log_bucket_object_arn_rejected" {
  command = plan

  variables {
    access_log_bucket_arn = "arn:aws:s3:::gxp-ml-access-logs/*"
  }

  expect_failures = [var.access_log_bucket_arn]
}
