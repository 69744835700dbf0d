output "pipeline_name" {
  description = "Name of the SageMaker pipeline."
  value       = aws_sagemaker_pipeline.this.pipeline_name
}

output "pipeline_arn" {
  description = "ARN of the SageMaker pipeline."
  value       = aws_sagemaker_pipeline.this.arn
}

output "pipeline_role_arn" {
  description = "Role the pipeline creates its jobs and model package versions with."
  value       = aws_iam_role.pipeline.arn
}

output "pipeline_code_uris" {
  description = "Where the pipeline expects its code: processing (steps.py + harness/ml) and training (sourcedir.tar.gz)."
  value       = { processing = local.code_processing, training = local.code_training }
}

output "pipeline_definition" {
  description = "The pipeline definition (JSON, schema 2020-12-01)."
  value       = aws_sagemaker_pipeline.this.pipeline_definition
}

output "processing_log_group_name" {
  description = "Log group of processing jobs."
  value       = aws_cloudwatch_log_group.processing.name
}

output "drift_alarm_names" {
  description = "Drift alarm per monitored feature."
  value       = { for f, a in aws_cloudwatch_metric_alarm.drift : f => a.alarm_name }
}

output "retraining_state_machine_arn" {
  description = "Step Functions state machine that retrains (started by a drift alarm or the schedule)."
  value       = aws_sfn_state_machine.retraining.arn
}

output "retraining_rule_names" {
  description = "EventBridge rules that start the retraining."
  value       = concat([aws_cloudwatch_event_rule.drift_alarm.name], aws_cloudwatch_event_rule.schedule[*].name)
}

output "model_monitor_schedule_name" {
  description = "Model Monitor schedule (null unless enable_model_monitor)."
  value       = one(aws_sagemaker_monitoring_schedule.this[*].name)
}
