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
  value       = try(aws_iam_role.auditor.arn, null)
}

output "auditor_role_name" {
  description = "Name of the read-only auditor role."
  value       = try(aws_iam_role.auditor.name, null)
}

output "validation_role_arn" {
  description = "ARN of the qualification (IQ/OQ) validation role."
  value       = try(aws_iam_role.validation.arn, null)
}

output "validation_role_name" {
  description = "Name of the qualification (IQ/OQ) validation role."
  value       = try(aws_iam_role.validation.name, null)
}

output "read_only_policy_arn" {
  description = "ARN of the shared read-only policy attached to the auditor and validation roles."
  value       = try(aws_iam_policy.read_only.arn, null)
}

output "image_repository_arns" {
  description = "ECR repositories the execution role may pull from (input or the regional SageMaker XGBoost default)."
  value       = local.image_repository_arns
}
