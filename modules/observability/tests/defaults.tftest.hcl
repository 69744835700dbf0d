# Planned values with default inputs: encrypted log groups, the multi-region trail, the alarm topic and its policy, the alarms.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix       = "gxp-test"
  logs_kms_key_arn  = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  trail_bucket_name = "gxp-test-evidence"
  tags              = { Project = "gxp-ml", Environment = "test" }
}

run "log_groups_encrypted_with_retention" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.this["training"].name == "/aws/sagemaker/TrainingJobs" && aws_cloudwatch_log_group.this["endpoint"].name == "/aws/sagemaker/Endpoints/dropout-inference"
    error_message = "SageMaker log groups must use the names SageMaker writes to."
  }

  assert {
    condition     = aws_cloudwatch_log_group.trail[0].name == "/aws/cloudtrail/gxp-test"
    error_message = "The trail log group must be /aws/cloudtrail/<name_prefix>."
  }

  assert {
    condition = alltrue([
      for g in concat(values(aws_cloudwatch_log_group.this), aws_cloudwatch_log_group.trail) :
      g.kms_key_id == var.logs_kms_key_arn && g.retention_in_days == 365
    ])
    error_message = "Every log group must be encrypted with logs_kms_key_arn and keep 365 days by default."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this["training"].tags["Project"] == "gxp-ml"
    error_message = "Log groups must carry the input tags."
  }
}

run "trail_is_multi_region_validated_and_encrypted" {
  command = plan

  assert {
    condition     = aws_cloudtrail.this[0].name == "gxp-test-trail"
    error_message = "The trail name must default to <name_prefix>-trail."
  }

  assert {
    condition     = aws_cloudtrail.this[0].is_multi_region_trail && aws_cloudtrail.this[0].include_global_service_events
    error_message = "The trail must cover all regions and global service events."
  }

  assert {
    condition     = aws_cloudtrail.this[0].enable_log_file_validation && aws_cloudtrail.this[0].enable_logging
    error_message = "Log file validation and logging must be on."
  }

  assert {
    condition     = aws_cloudtrail.this[0].kms_key_id == var.logs_kms_key_arn
    error_message = "The trail must default to the logs KMS key."
  }

  assert {
    condition     = aws_cloudtrail.this[0].s3_bucket_name == "gxp-test-evidence" && aws_cloudtrail.this[0].s3_key_prefix == "cloudtrail"
    error_message = "The trail must deliver to trail_bucket_name under the cloudtrail prefix."
  }

  assert {
    condition     = aws_cloudtrail.this[0].sns_topic_name == "gxp-test-trail-deliveries" && aws_sns_topic.trail_deliveries[0].kms_master_key_id == var.logs_kms_key_arn
    error_message = "Trail deliveries must notify their own encrypted topic, not the alarm topic."
  }

  assert {
    condition     = length(aws_cloudtrail.this[0].event_selector) == 0 && [for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f.equals if f.field == "eventCategory"] == [tolist(["Management"])] && length(aws_cloudtrail.this[0].advanced_event_selector[0].field_selector) == 1
    error_message = "The trail must record all (read and write) management events through an advanced selector."
  }

  assert {
    condition     = length(aws_cloudtrail.this[0].advanced_event_selector) == 1
    error_message = "No data events are recorded unless trail_data_event_s3_bucket_arns is set."
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.security)) == toset(["root-account-use", "trail-tampering", "bucket-policy-change", "kms-disable-or-deletion", "iam-policy-change"])
    error_message = "Security alarms must watch root use, trail tampering, bucket policy, KMS disable/deletion and IAM policy changes."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.security : length(a.alarm_actions) == 1 && a.actions_enabled])
    error_message = "Every security alarm must notify the (encrypted) alarm topic."
  }

  assert {
    condition     = alltrue([for f in aws_cloudwatch_log_metric_filter.security : f.log_group_name == "/aws/cloudtrail/gxp-test"])
    error_message = "The security metric filters must read the trail's log group."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_log_metric_filter.security["kms-disable-or-deletion"].pattern, "ScheduleKeyDeletion") && strcontains(aws_cloudwatch_log_metric_filter.security["trail-tampering"].pattern, "StopLogging")
    error_message = "The KMS and trail filters must match ScheduleKeyDeletion and StopLogging."
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.skip_destroy]) && aws_cloudwatch_log_group.trail[0].skip_destroy
    error_message = "Log groups must be kept on destroy by default."
  }

  assert {
    condition     = !strcontains(aws_sns_topic_policy.this.policy, "cloudtrail.amazonaws.com")
    error_message = "CloudTrail must not publish to the alarm topic."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.alarms) == 0
    error_message = "No subscription unless alarm_subscriptions is set."
  }
}

run "trail_role_is_least_privilege" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.trail_to_logs[0].assume_role_policy).Statement[0].Principal.Service == "cloudtrail.amazonaws.com"
    error_message = "Only cloudtrail.amazonaws.com may assume the trail delivery role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.trail_to_logs[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceArn"] == "arn:aws:cloudtrail:eu-central-1:123456789012:trail/gxp-test-trail"
    error_message = "The trust policy must be pinned to this trail's ARN."
  }

  assert {
    condition     = toset(jsondecode(aws_iam_role_policy.trail_to_logs[0].policy).Statement[0].Action) == toset(["logs:CreateLogStream", "logs:PutLogEvents"])
    error_message = "The delivery role may only create log streams and put log events."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.trail_to_logs[0].policy).Statement[0].Resource == ["arn:aws:logs:eu-central-1:123456789012:log-group:/aws/cloudtrail/gxp-test:log-stream:123456789012_CloudTrail_*"]
    error_message = "The delivery role must be scoped to the trail log group's CloudTrail streams."
  }

  assert {
    condition     = length(jsondecode(aws_iam_role_policy.trail_to_logs[0].policy).Statement) == 1
    error_message = "The delivery role policy must hold exactly one statement."
  }
}

run "sns_topic_encrypted_with_least_privilege_policy" {
  command = plan

  assert {
    condition     = aws_sns_topic.this.name == "gxp-test-alarms" && aws_sns_topic.this.kms_master_key_id == var.logs_kms_key_arn
    error_message = "The alarm topic must be named <name_prefix>-alarms and encrypted with the logs key by default."
  }

  assert {
    condition = alltrue([
      for st in jsondecode(aws_sns_topic_policy.this.policy).Statement :
      st.Effect == "Deny" ? true : (try(st.Principal.Service, "") != "" && st.Action == "sns:Publish" && st.Condition.StringEquals["aws:SourceAccount"] == "123456789012")
    ])
    error_message = "Allow statements must grant only sns:Publish to AWS services of this account."
  }

  assert {
    condition     = toset([for st in jsondecode(aws_sns_topic_policy.this.policy).Statement : try(st.Principal.Service, "") if st.Effect == "Allow"]) == toset(["cloudwatch.amazonaws.com"])
    error_message = "Only CloudWatch alarms may publish (trail deliveries do not notify the alarm topic)."
  }

  assert {
    condition     = one([for st in jsondecode(aws_sns_topic_policy.this.policy).Statement : st.Condition.ArnLike["aws:SourceArn"] if try(st.Principal.Service, "") == "cloudwatch.amazonaws.com"]) == "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:gxp-test-*"
    error_message = "CloudWatch may publish only for this platform's alarms."
  }

  assert {
    condition     = one([for st in jsondecode(aws_sns_topic_policy.this.policy).Statement : st.Condition.Bool["aws:SecureTransport"] if st.Effect == "Deny"]) == "false"
    error_message = "Requests without TLS must be denied."
  }

  assert {
    condition     = alltrue([for st in jsondecode(aws_sns_topic_policy.this.policy).Statement : st.Resource == "arn:aws:sns:eu-central-1:123456789012:gxp-test-alarms"])
    error_message = "Every statement must be scoped to the topic."
  }
}

run "alarms_watch_the_endpoint_variant" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.invocation_5xx.namespace == "AWS/SageMaker" &&
      aws_cloudwatch_metric_alarm.invocation_5xx.metric_name == "Invocation5XXErrors" &&
      aws_cloudwatch_metric_alarm.invocation_5xx.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.invocation_5xx.threshold == 1 &&
      aws_cloudwatch_metric_alarm.invocation_5xx.comparison_operator == "GreaterThanOrEqualToThreshold"
    )
    error_message = "The 5XX alarm must fire on one or more Invocation5XXErrors."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.model_latency.namespace == "AWS/SageMaker" &&
      aws_cloudwatch_metric_alarm.model_latency.metric_name == "ModelLatency" &&
      aws_cloudwatch_metric_alarm.model_latency.statistic == "Average" &&
      aws_cloudwatch_metric_alarm.model_latency.threshold == 1000000 &&
      aws_cloudwatch_metric_alarm.model_latency.comparison_operator == "GreaterThanThreshold"
    )
    error_message = "The latency alarm must fire on average ModelLatency above 1 s by default."
  }

  assert {
    condition = alltrue([
      for a in [aws_cloudwatch_metric_alarm.invocation_5xx, aws_cloudwatch_metric_alarm.model_latency] :
      a.dimensions == tomap({ EndpointName = "dropout-inference", VariantName = "AllTraffic" }) && a.actions_enabled && a.period == 60 && a.evaluation_periods == 1
    ])
    error_message = "Both alarms must watch dropout-inference/AllTraffic with actions enabled."
  }

  assert {
    condition     = startswith(aws_cloudwatch_metric_alarm.invocation_5xx.alarm_name, "gxp-test-") && startswith(aws_cloudwatch_metric_alarm.model_latency.alarm_name, "gxp-test-")
    error_message = "Alarm names must start with <name_prefix>- (the topic policy only accepts those)."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.invocation_5xx.alarm_actions) == 1 && length(aws_cloudwatch_metric_alarm.model_latency.ok_actions) == 1
    error_message = "Alarms must notify the topic on ALARM and OK."
  }
}
