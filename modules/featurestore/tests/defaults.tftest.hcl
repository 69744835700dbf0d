# Planned values with default inputs, and one expect_failures run per validation.

mock_provider "aws" {
  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:root", user_id = "123456789012" }
  }

  override_data {
    target = data.aws_region.current
    values = { name = "eu-central-1" }
  }

  override_data {
    target = data.aws_partition.current
    values = { partition = "aws", dns_suffix = "amazonaws.com", reverse_dns_prefix = "com.amazonaws" }
  }

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/gxp-test-feature-store" }
  }
}

variables {
  name_prefix           = "gxp-test"
  data_lake_bucket_name = "gxp-test-datalake"
  kms_key_arn           = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  tags                  = { Project = "gxp-ml", Environment = "test" }
}

run "feature_group_with_encrypted_stores" {
  command = plan

  assert {
    condition     = aws_sagemaker_feature_group.this.feature_group_name == "gxp-test-subjects"
    error_message = "The feature group is named after the prefix."
  }

  assert {
    condition     = [for d in aws_sagemaker_feature_group.this.feature_definition : d.feature_name] == ["subject_id", "event_time", "age", "prior_dropout", "missed_visit_rate", "dropout"]
    error_message = "Record identifier, event time, the three features in the seed's order and the label."
  }

  assert {
    condition     = aws_sagemaker_feature_group.this.offline_store_config[0].s3_storage_config[0].kms_key_id == var.kms_key_arn && aws_sagemaker_feature_group.this.offline_store_config[0].s3_storage_config[0].s3_uri == "s3://gxp-test-datalake/feature-store"
    error_message = "The offline store lives in the data lake, encrypted with the platform key."
  }

  assert {
    condition     = aws_sagemaker_feature_group.this.online_store_config[0].enable_online_store && aws_sagemaker_feature_group.this.online_store_config[0].security_config[0].kms_key_id == var.kms_key_arn
    error_message = "The online store is on and encrypted with the platform key."
  }

  assert {
    condition     = aws_sagemaker_feature_group.this.offline_store_config[0].data_catalog_config[0].database == "gxp_test_features" && aws_sagemaker_feature_group.this.offline_store_config[0].data_catalog_config[0].table_name == "gxp_test_subjects"
    error_message = "The offline store's Glue table is in the platform's database."
  }
}

run "athena_workgroup_enforced_and_encrypted" {
  command = plan

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].enforce_workgroup_configuration
    error_message = "The workgroup's settings must override the client's."
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS" && aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].kms_key_arn == var.kms_key_arn
    error_message = "Query results are encrypted with the platform key."
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://gxp-test-datalake/athena-results/"
    error_message = "Query results land in the data lake."
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 1073741824
    error_message = "A query may scan at most 1 GiB by default."
  }
}

run "role_trusts_sagemaker_of_this_account_only" {
  command = apply # the policy names the Glue database's ARN, known after apply (mock provider)

  assert {
    condition     = jsondecode(aws_iam_role.feature_store.assume_role_policy).Statement[0].Principal.Service == "sagemaker.amazonaws.com" && jsondecode(aws_iam_role.feature_store.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "Only SageMaker, on behalf of this account, may assume the feature store role."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.feature_store.policy).Statement : !contains(flatten([s.Action]), "*") && !contains(flatten([s.Resource]), "*")])
    error_message = "No wildcard action or resource."
  }
}

run "bad_name_prefix" {
  command = plan
  variables { name_prefix = "Bad_Prefix" }
  expect_failures = [var.name_prefix]
}

run "bad_feature_group_name" {
  command = plan
  variables { feature_group_name = "-bad" }
  expect_failures = [var.feature_group_name]
}

run "bad_feature_type" {
  command = plan
  variables {
    features = [{ name = "age", type = "Float" }]
  }
  expect_failures = [var.features]
}

run "bad_feature_name" {
  command = plan
  variables {
    features = [{ name = "age!", type = "Integral" }]
  }
  expect_failures = [var.features]
}

run "bad_offline_prefix" {
  command = plan
  variables { offline_store_prefix = "a/b" }
  expect_failures = [var.offline_store_prefix]
}

run "bad_results_prefix" {
  command = plan
  variables { athena_results_prefix = "Results" }
  expect_failures = [var.athena_results_prefix]
}

run "bad_kms_key" {
  command = plan
  variables { kms_key_arn = "alias/aws/s3" }
  expect_failures = [var.kms_key_arn]
}

run "bytes_scanned_below_athena_minimum" {
  command = plan
  variables { bytes_scanned_cutoff_per_query = 1024 }
  expect_failures = [var.bytes_scanned_cutoff_per_query]
}
