output "model_name" {
  description = "Name of the SageMaker model (null when model_artifact_url is null)."
  value       = try(aws_sagemaker_model.this[0].name, null)
}

output "model_arn" {
  description = "ARN of the SageMaker model (null when model_artifact_url is null)."
  value       = try(aws_sagemaker_model.this[0].arn, null)
}

output "endpoint_config_name" {
  description = "Name of the endpoint configuration (null when model_artifact_url is null)."
  value       = try(aws_sagemaker_endpoint_configuration.this[0].name, null)
}

output "endpoint_config_arn" {
  description = "ARN of the endpoint configuration (null when model_artifact_url is null)."
  value       = try(aws_sagemaker_endpoint_configuration.this[0].arn, null)
}

output "endpoint_name" {
  description = "Name of the endpoint (null when model_artifact_url is null)."
  value       = try(aws_sagemaker_endpoint.this[0].name, null)
}

output "endpoint_arn" {
  description = "ARN of the endpoint (null when model_artifact_url is null)."
  value       = try(aws_sagemaker_endpoint.this[0].arn, null)
}

output "variant_name" {
  description = "Name of the production variant (null when model_artifact_url is null)."
  value       = try(aws_sagemaker_endpoint_configuration.this[0].production_variants[0].variant_name, null)
}

output "model_package_group_name" {
  description = "Name of the model package group."
  value       = aws_sagemaker_model_package_group.this.model_package_group_name
}

output "model_package_group_arn" {
  description = "ARN of the model package group."
  value       = aws_sagemaker_model_package_group.this.arn
}

output "notebook_instance_name" {
  description = "Name of the notebook instance (null when enable_notebook is false)."
  value       = try(aws_sagemaker_notebook_instance.this[0].name, null)
}

output "notebook_instance_arn" {
  description = "ARN of the notebook instance (null when enable_notebook is false)."
  value       = try(aws_sagemaker_notebook_instance.this[0].arn, null)
}

output "endpoint_deployed" {
  description = "Whether the model, endpoint configuration and endpoint are part of this configuration."
  value       = local.deploy_endpoint
}

output "autoscaling_resource_id" {
  description = "Application Auto Scaling resource id of the variant (null without autoscaling)."
  value       = try(aws_appautoscaling_target.this[0].resource_id, null)
}
