# Non-default inputs: separate trail/topic keys, data events, custom names and thresholds, and no trail.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix       = "gxp-test"
  logs_kms_key_arn  = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  trail_bucket_name = "gxp-test-evidence"
  tags              = { Project = "gxp-ml", Environment = "test" }
}

run "custom_keys_names_and_data_events" {
  command = plan

  variables {
    trail_name                           = "platform-audit"
    trail_s3_key_prefix                  = "audit/trail"
    trail_kms_key_arn                    = "arn:aws:kms:eu-central-1:123456789012:key/aaaaaaaa-2222-3333-4444-555555555555"
    sns_kms_key_arn                      = "arn:aws:kms:eu-central-1:123456789012:key/bbbbbbbb-2222-3333-4444-555555555555"
    trail_data_event_s3_bucket_arns      = ["arn:aws:s3:::gxp-test-data-lake"]
    endpoint_name                        = "churn-endpoint"
    variant_name                         = "Blue"
    log_retention_days                   = 2557
    alarm_latency_threshold_microseconds = 250000
    alarm_5xx_threshold                  = 5
    alarm_period_seconds                 = 300
    alarm_evaluation_periods             = 3
    alarm_subscriptions                  = [{ protocol = "email", endpoint = "qa-security@example.com" }]
  }

  assert {
    condition     = aws_cloudtrail.this[0].name == "platform-audit" && aws_cloudtrail.this[0].s3_key_prefix == "audit/trail"
    error_message = "trail_name and trail_s3_key_prefix must be used."
  }

  assert {
    condition     = aws_cloudtrail.this[0].kms_key_id == var.trail_kms_key_arn && aws_sns_topic.this.kms_master_key_id == var.sns_kms_key_arn
    error_message = "trail_kms_key_arn and sns_kms_key_arn must override the logs key."
  }

  assert {
    condition     = [for f in aws_cloudtrail.this[0].advanced_event_selector[1].field_selector : f.equals if f.field == "resources.type"] == [tolist(["AWS::S3::Object"])] && [for f in aws_cloudtrail.this[0].advanced_event_selector[1].field_selector : f.starts_with if f.field == "resources.ARN"] == [tolist(["arn:aws:s3:::gxp-test-data-lake/"])]
    error_message = "S3 object data events must be recorded for the listed buckets."
  }

  assert {
    condition     = [for f in aws_cloudtrail.this[0].advanced_event_selector[1].field_selector : f.not_starts_with if f.field == "resources.ARN"] == [tolist(["arn:aws:s3:::${var.trail_bucket_name}/audit/trail/"])]
    error_message = "The trail's own delivery prefix must be excluded from data events."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.alarms) == 1 && aws_sns_topic_subscription.alarms["email:qa-security@example.com"].protocol == "email"
    error_message = "alarm_subscriptions must subscribe to the alarm topic."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this["endpoint"].name == "/aws/sagemaker/Endpoints/churn-endpoint" && aws_cloudwatch_log_group.this["endpoint"].retention_in_days == 2557
    error_message = "The endpoint log group must follow endpoint_name and log_retention_days."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.model_latency.dimensions["VariantName"] == "Blue" && aws_cloudwatch_metric_alarm.model_latency.threshold == 250000
    error_message = "The latency alarm must follow variant_name and its threshold."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.invocation_5xx.threshold == 5 && aws_cloudwatch_metric_alarm.invocation_5xx.period == 300 && aws_cloudwatch_metric_alarm.invocation_5xx.evaluation_periods == 3
    error_message = "The 5XX alarm must follow its threshold, period and evaluation periods."
  }

  assert {
    condition     = jsondecode(aws_iam_role.trail_to_logs[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceArn"] == "arn:aws:cloudtrail:eu-central-1:123456789012:trail/platform-audit"
    error_message = "The trust policy must follow trail_name."
  }

  assert {
    condition     = output.trail_expected_arn == "arn:aws:cloudtrail:eu-central-1:123456789012:trail/platform-audit"
    error_message = "trail_expected_arn must follow trail_name."
  }
}

run "without_trail" {
  command = plan

  variables {
    create_trail = false
  }

  assert {
    condition     = length(aws_cloudtrail.this) == 0 && length(aws_cloudwatch_log_group.trail) == 0 && length(aws_iam_role.trail_to_logs) == 0 && length(aws_iam_role_policy.trail_to_logs) == 0
    error_message = "create_trail = false must plan no trail, trail log group or delivery role."
  }

  assert {
    condition     = length([for st in jsondecode(aws_sns_topic_policy.this.policy).Statement : st if try(st.Principal.Service, "") == "cloudtrail.amazonaws.com"]) == 0
    error_message = "Without a trail, CloudTrail must not be allowed to publish."
  }

  assert {
    condition     = output.trail_arn == null && output.trail_name == null && output.trail_log_group_name == null && output.trail_role_arn == null
    error_message = "Trail outputs must be null when no trail is created."
  }

  assert {
    condition     = length(output.log_group_arns) == 2
    error_message = "Only the two SageMaker log groups remain."
  }
}
