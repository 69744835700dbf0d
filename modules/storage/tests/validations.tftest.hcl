# One expect_failures run per validation rule: a bad input must fail at plan.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:root"
      user_id    = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition          = "aws"
      dns_suffix         = "amazonaws.com"
      reverse_dns_prefix = "com.amazonaws"
    }
  }
}

variables {
  data_lake_bucket_name  = "gxp-test-data-lake"
  evidence_bucket_name   = "gxp-test-evidence"
  access_log_bucket_name = "gxp-test-access-logs"
  kms_key_arn            = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "valid_inputs_plan" {
  command = plan

  variables {
    data_lake_bucket_name      = "gxp.test.data-lake"
    object_lock_mode           = "GOVERNANCE"
    object_lock_retention_days = 36500
    cloudtrail_trail_arn       = "arn:aws:cloudtrail:eu-central-1:123456789012:trail/gxp-trail"
    cloudtrail_s3_key_prefix   = "audit/cloudtrail"
  }

  assert {
    condition     = aws_s3_bucket.data_lake.bucket == "gxp.test.data-lake"
    error_message = "Dotted names within the rules must be accepted."
  }
}

run "data_lake_name_uppercase_rejected" {
  command = plan

  variables {
    data_lake_bucket_name = "GxP-Bucket"
  }

  expect_failures = [var.data_lake_bucket_name]
}

run "data_lake_name_too_short_rejected" {
  command = plan

  variables {
    data_lake_bucket_name = "ab"
  }

  expect_failures = [var.data_lake_bucket_name]
}

run "data_lake_name_adjacent_periods_rejected" {
  command = plan

  variables {
    data_lake_bucket_name = "gxp..bucket"
  }

  expect_failures = [var.data_lake_bucket_name]
}

run "data_lake_name_ip_format_rejected" {
  command = plan

  variables {
    data_lake_bucket_name = "192.168.10.1"
  }

  expect_failures = [var.data_lake_bucket_name]
}

run "data_lake_name_reserved_prefix_rejected" {
  command = plan

  variables {
    data_lake_bucket_name = "xn--gxp-bucket"
  }

  expect_failures = [var.data_lake_bucket_name]
}

run "data_lake_name_reserved_suffix_rejected" {
  command = plan

  variables {
    data_lake_bucket_name = "gxp-bucket-s3alias"
  }

  expect_failures = [var.data_lake_bucket_name]
}

run "evidence_name_uppercase_rejected" {
  command = plan

  variables {
    evidence_bucket_name = "GxP-Bucket"
  }

  expect_failures = [var.evidence_bucket_name]
}

run "evidence_name_too_short_rejected" {
  command = plan

  variables {
    evidence_bucket_name = "ab"
  }

  expect_failures = [var.evidence_bucket_name]
}

run "evidence_name_adjacent_periods_rejected" {
  command = plan

  variables {
    evidence_bucket_name = "gxp..bucket"
  }

  expect_failures = [var.evidence_bucket_name]
}

run "evidence_name_ip_format_rejected" {
  command = plan

  variables {
    evidence_bucket_name = "192.168.10.1"
  }

  expect_failures = [var.evidence_bucket_name]
}

run "evidence_name_reserved_prefix_rejected" {
  command = plan

  variables {
    evidence_bucket_name = "xn--gxp-bucket"
  }

  expect_failures = [var.evidence_bucket_name]
}

run "evidence_name_reserved_suffix_rejected" {
  command = plan

  variables {
    evidence_bucket_name = "gxp-bucket-s3alias"
  }

  expect_failures = [var.evidence_bucket_name]
}

run "access_log_name_uppercase_rejected" {
  command = plan

  variables {
    access_log_bucket_name = "GxP-Bucket"
  }

  expect_failures = [var.access_log_bucket_name]
}

run "access_log_name_too_short_rejected" {
  command = plan

  variables {
    access_log_bucket_name = "ab"
  }

  expect_failures = [var.access_log_bucket_name]
}

run "access_log_name_adjacent_periods_rejected" {
  command = plan

  variables {
    access_log_bucket_name = "gxp..bucket"
  }

  expect_failures = [var.access_log_bucket_name]
}

run "access_log_name_ip_format_rejected" {
  command = plan

  variables {
    access_log_bucket_name = "192.168.10.1"
  }

  expect_failures = [var.access_log_bucket_name]
}

run "access_log_name_reserved_prefix_rejected" {
  command = plan

  variables {
    access_log_bucket_name = "xn--gxp-bucket"
  }

  expect_failures = [var.access_log_bucket_name]
}

run "access_log_name_reserved_suffix_rejected" {
  command = plan

  variables {
    access_log_bucket_name = "gxp-bucket-s3alias"
  }

  expect_failures = [var.access_log_bucket_name]
}

run "access_log_name_same_as_evidence_rejected" {
  command = plan

  variables {
    access_log_bucket_name = "gxp-test-evidence"
  }

  expect_failures = [var.access_log_bucket_name]
}

run "access_log_name_same_as_data_lake_rejected" {
  command = plan

  variables {
    access_log_bucket_name = "gxp-test-data-lake"
  }

  expect_failures = [var.access_log_bucket_name]
}

run "kms_key_arn_alias_rejected" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:alias/gxp-data"
  }

  expect_failures = [var.kms_key_arn]
}

run "object_lock_mode_invalid_rejected" {
  command = plan

  variables {
    object_lock_mode = "compliance"
  }

  expect_failures = [var.object_lock_mode]
}

run "object_lock_retention_zero_rejected" {
  command = plan

  variables {
    object_lock_retention_days = 0
  }

  expect_failures = [var.object_lock_retention_days]
}

run "object_lock_retention_above_100_years_rejected" {
  command = plan

  variables {
    object_lock_retention_days = 36501
  }

  expect_failures = [var.object_lock_retention_days]
}

run "noncurrent_expiration_zero_rejected" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}

run "abort_multipart_zero_rejected" {
  command = plan

  variables {
    abort_incomplete_multipart_upload_days = 0
  }

  expect_failures = [var.abort_incomplete_multipart_upload_days]
}

run "cloudtrail_trail_arn_name_only_rejected" {
  command = plan

  variables {
    cloudtrail_trail_arn = "gxp-trail"
  }

  expect_failures = [var.cloudtrail_trail_arn]
}

run "cloudtrail_prefix_trailing_slash_rejected" {
  command = plan

  variables {
    cloudtrail_s3_key_prefix = "cloudtrail/"
  }

  expect_failures = [var.cloudtrail_s3_key_prefix]
}
