output "execution_role_arn" {
  description = "ARN of the SageMaker execution role."
  value       = try(aws_iam_role.execution.arn, null)
}

output "execution_role_name" {
  description = "Name of the SageMaker execution role."
  value       = try(aws_iam_role.execution.name, null)
}

output "auditor_role_arn" {
  description = "ARN of the read-only auditor role."
  value       = try(aws_iam_role.persona["auditor"].arn, null)
}

output "auditor_role_name" {
  description = "Name of the read-only auditor role."
  value       = try(aws_iam_role.persona["auditor"].name, null)
}

output "validation_role_arn" {
  description = "ARN of the qualification (IQ/OQ) validation role."
  value       = try(aws_iam_role.persona["validation"].arn, null)
}

output "validation_role_name" {
  description = "Name of the qualification (IQ/OQ) validation role."
  value       = try(aws_iam_role.persona["validation"].name, null)
}

output "read_only_policy_arn" {
  description = "ARN of the shared read-only policy attached to every persona role."
  value       = try(aws_iam_policy.read_only.arn, null)
}

output "image_repository_arns" {
  description = "ECR repositories the execution role may pull from (input or the regional SageMaker XGBoost default)."
  value       = local.image_repository_arns
}

output "data_scientist_role_arn" {
  description = "ARN of the data scientist role (SageMaker work inside the guardrails)."
  value       = try(aws_iam_role.persona["data_scientist"].arn, null)
}

output "data_scientist_role_name" {
  description = "Name of the data scientist role."
  value       = try(aws_iam_role.persona["data_scientist"].name, null)
}

output "approver_role_arn" {
  description = "ARN of the approver role (signs approvals, approves model versions)."
  value       = try(aws_iam_role.persona["approver"].arn, null)
}

output "approver_role_name" {
  description = "Name of the approver role."
  value       = try(aws_iam_role.persona["approver"].name, null)
}
