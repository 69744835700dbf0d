# Every validation of the observability module fails the plan on a bad input.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix       = "gxp-test"
  logs_kms_key_arn  = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  trail_bucket_name = "gxp-test-evidence"
  tags              = { Project = "gxp-ml", Environment = "test" }
}

run "valid_edge_values_plan" {
  command = plan

  variables {
    log_retention_days                   = 3653
    trail_name                           = "abc"
    alarm_period_seconds                 = 10
    alarm_latency_threshold_microseconds = 60000000
  }

  assert {
    condition     = aws_cloudtrail.this[0].name == "abc" && aws_cloudwatch_log_group.this["training"].retention_in_days == 3653
    error_message = "Edge values must be accepted."
  }
}

run "name_prefix_rejects_upper_case" {
  command = plan
  variables {
    name_prefix = "GxP_Test"
  }
  expect_failures = [var.name_prefix]
}

run "logs_kms_key_arn_rejects_alias" {
  command = plan
  variables {
    logs_kms_key_arn = "alias/gxp-logs"
  }
  expect_failures = [var.logs_kms_key_arn]
}

run "log_retention_days_rejects_below_one_year" {
  command = plan
  variables {
    log_retention_days = 180
  }
  expect_failures = [var.log_retention_days]
}

run "log_retention_days_rejects_unsupported_value" {
  command = plan
  variables {
    log_retention_days = 500
  }
  expect_failures = [var.log_retention_days]
}

run "endpoint_name_rejects_underscore" {
  command = plan
  variables {
    endpoint_name = "dropout_inference"
  }
  expect_failures = [var.endpoint_name]
}

run "variant_name_rejects_trailing_hyphen" {
  command = plan
  variables {
    variant_name = "AllTraffic-"
  }
  expect_failures = [var.variant_name]
}

run "trail_name_rejects_leading_hyphen" {
  command = plan
  variables {
    trail_name = "-trail"
  }
  expect_failures = [var.trail_name]
}

run "trail_bucket_name_rejects_upper_case" {
  command = plan
  variables {
    trail_bucket_name = "GxP-Evidence"
  }
  expect_failures = [var.trail_bucket_name]
}

run "trail_s3_key_prefix_rejects_trailing_slash" {
  command = plan
  variables {
    trail_s3_key_prefix = "cloudtrail/"
  }
  expect_failures = [var.trail_s3_key_prefix]
}

run "trail_kms_key_arn_rejects_key_id" {
  command = plan
  variables {
    trail_kms_key_arn = "11111111-2222-3333-4444-555555555555"
  }
  expect_failures = [var.trail_kms_key_arn]
}

run "trail_data_event_s3_bucket_arns_rejects_object_path" {
  command = plan
  variables {
    trail_data_event_s3_bucket_arns = ["arn:aws:s3:::gxp-test-data-lake/processed"]
  }
  expect_failures = [var.trail_data_event_s3_bucket_arns]
}

run "sns_kms_key_arn_rejects_alias_arn" {
  command = plan
  variables {
    sns_kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:alias/gxp-logs"
  }
  expect_failures = [var.sns_kms_key_arn]
}

run "alarm_latency_threshold_microseconds_rejects_zero" {
  command = plan
  variables {
    alarm_latency_threshold_microseconds = 0
  }
  expect_failures = [var.alarm_latency_threshold_microseconds]
}

run "alarm_5xx_threshold_rejects_fraction" {
  command = plan
  variables {
    alarm_5xx_threshold = 0.5
  }
  expect_failures = [var.alarm_5xx_threshold]
}

run "alarm_period_seconds_rejects_45" {
  command = plan
  variables {
    alarm_period_seconds = 45
  }
  expect_failures = [var.alarm_period_seconds]
}

run "alarm_evaluation_periods_rejects_zero" {
  command = plan
  variables {
    alarm_evaluation_periods = 0
  }
  expect_failures = [var.alarm_evaluation_periods]
}

run "alarm_subscription_unknown_protocol_fails" {
  command = plan

  variables {
    alarm_subscriptions = [{ protocol = "carrier-pigeon", endpoint = "qa" }]
  }

  expect_failures = [var.alarm_subscriptions]
}
