output "training_log_group_name" {
  description = "Name of the SageMaker training jobs log group."
  value       = aws_cloudwatch_log_group.this["training"].name
}

output "training_log_group_arn" {
  description = "ARN of the SageMaker training jobs log group."
  value       = aws_cloudwatch_log_group.this["training"].arn
}

output "endpoint_log_group_name" {
  description = "Name of the SageMaker endpoint log group."
  value       = aws_cloudwatch_log_group.this["endpoint"].name
}

output "endpoint_log_group_arn" {
  description = "ARN of the SageMaker endpoint log group."
  value       = aws_cloudwatch_log_group.this["endpoint"].arn
}

output "trail_log_group_name" {
  description = "Name of the log group receiving the CloudTrail events (null when create_trail is false)."
  value       = try(aws_cloudwatch_log_group.trail[0].name, null)
}

output "trail_log_group_arn" {
  description = "ARN of the log group receiving the CloudTrail events (null when create_trail is false)."
  value       = try(aws_cloudwatch_log_group.trail[0].arn, null)
}

output "trail_arn" {
  description = "ARN of the CloudTrail trail (null when create_trail is false)."
  value       = try(aws_cloudtrail.this[0].arn, null)
}

output "trail_name" {
  description = "Name of the CloudTrail trail (null when create_trail is false)."
  value       = try(aws_cloudtrail.this[0].name, null)
}

output "trail_expected_arn" {
  description = "Trail ARN computed from the inputs alone (known at plan, no dependency on the trail resource): what the evidence bucket policy may reference."
  value       = local.trail_arn
}

output "trail_role_arn" {
  description = "ARN of the role CloudTrail assumes to write to the trail log group (null when create_trail is false)."
  value       = try(aws_iam_role.trail_to_logs[0].arn, null)
}

output "sns_topic_arn" {
  description = "ARN of the KMS-encrypted SNS topic receiving alarm and trail notifications."
  value       = aws_sns_topic.this.arn
}

output "sns_topic_name" {
  description = "Name of the SNS topic."
  value       = aws_sns_topic.this.name
}

output "alarm_arns" {
  description = "ARNs of the metric alarms, keyed invocation_5xx and model_latency."
  value = {
    invocation_5xx = aws_cloudwatch_metric_alarm.invocation_5xx.arn
    model_latency  = aws_cloudwatch_metric_alarm.model_latency.arn
  }
}

output "alarm_names" {
  description = "Names of the metric alarms, keyed invocation_5xx and model_latency."
  value       = local.alarm_names
}

output "log_group_arns" {
  description = "ARNs of every log group of this module, in the order training, endpoint, trail (the last only when create_trail is true)."
  value = concat(
    [aws_cloudwatch_log_group.this["training"].arn, aws_cloudwatch_log_group.this["endpoint"].arn],
    aws_cloudwatch_log_group.trail[*].arn
  )
}

output "log_group_names" {
  description = "Names of every log group of this module, keyed training, endpoint and trail."
  value = merge(
    { for key, group in aws_cloudwatch_log_group.this : key => group.name },
    { for group in aws_cloudwatch_log_group.trail : "trail" => group.name }
  )
}

output "security_alarm_names" {
  description = "Security alarms by event (root-account-use, trail-tampering, bucket-policy-change, kms-disable-or-deletion, iam-policy-change)."
  value       = { for k, a in aws_cloudwatch_metric_alarm.security : k => a.alarm_name }
}

output "security_metric_namespace" {
  description = "CloudWatch namespace of the security metric filters."
  value       = local.security_metric_namespace
}
