# Read by the harness with `terraform output -json`.

output "region" {
  description = "Region of the platform."
  value       = var.region
}

output "account_id" {
  description = "Account the platform lives in."
  value       = local.account_id
}

output "name_prefix" {
  description = "Prefix of every resource name."
  value       = var.name_prefix
}

output "kms_key_arns" {
  description = "Customer-managed keys by purpose (data, volume, model, logs, signing, approvals)."
  value       = module.kms.key_arns
}

output "signing_key_id" {
  description = "Asymmetric KMS key that signs evidence manifests."
  value       = module.kms.signing_key_id
}

output "data_lake_bucket" {
  description = "Data lake bucket: training data under processed/ml/, models under models/."
  value       = module.storage.data_lake_bucket_id
}

output "evidence_bucket" {
  description = "Evidence bucket with Object Lock."
  value       = module.storage.evidence_bucket_id
}

output "access_log_bucket" {
  description = "S3 server access log bucket."
  value       = module.storage.access_log_bucket_id
}

output "execution_role_arn" {
  description = "SageMaker execution role."
  value       = module.iam.execution_role_arn
}

output "auditor_role_arn" {
  description = "Read-only auditor role."
  value       = module.iam.auditor_role_arn
}

output "validation_role_arn" {
  description = "Role the qualification harness uses."
  value       = module.iam.validation_role_arn
}

output "data_scientist_role_arn" {
  description = "Data scientist role: SageMaker jobs, models and endpoint configurations inside the guardrails."
  value       = module.iam.data_scientist_role_arn
}

output "approver_role_arn" {
  description = "Approver role: signs approvals with the approvals key, approves model versions; never trains or deploys."
  value       = module.iam.approver_role_arn
}

output "approvals_key_id" {
  description = "Asymmetric KMS key for people's signatures (approvals)."
  value       = module.kms.approvals_key_id
}

output "vpc_id" {
  description = "Platform VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets for SageMaker jobs and endpoints."
  value       = module.network.private_subnet_ids
}

output "sagemaker_security_group_id" {
  description = "Security group of SageMaker jobs and endpoints."
  value       = module.network.sagemaker_security_group_id
}

output "training_image_uri" {
  description = "SageMaker XGBoost framework image for training in this region."
  value       = data.aws_sagemaker_prebuilt_ecr_image.xgboost.registry_path
}

output "inference_image_uri" {
  description = "Inference image of the model."
  value       = local.inference_image_uri
}

output "model_package_group_name" {
  description = "Model registry group."
  value       = module.sagemaker.model_package_group_name
}

output "model_name" {
  description = "SageMaker model (null until a model artifact is given)."
  value       = module.sagemaker.model_name
}

output "endpoint_config_name" {
  description = "Endpoint configuration (null until a model artifact is given)."
  value       = module.sagemaker.endpoint_config_name
}

output "endpoint_name" {
  description = "Endpoint (null until a model artifact is given)."
  value       = module.sagemaker.endpoint_name
}

output "variant_name" {
  description = "Production variant."
  value       = var.variant_name
}

output "training_log_group" {
  description = "Log group of training jobs."
  value       = module.observability.training_log_group_name
}

output "endpoint_log_group" {
  description = "Log group of the endpoint."
  value       = module.observability.endpoint_log_group_name
}

output "trail_arn" {
  description = "CloudTrail trail."
  value       = module.observability.trail_arn
}

output "data_capture_s3_uri" {
  description = "Where the endpoint's data capture lands."
  value       = module.storage.data_lake_prefix_uris.data_capture
}

output "pipeline_name" {
  description = "SageMaker pipeline of the model (make pipeline starts it)."
  value       = module.mlops.pipeline_name
}

output "pipeline_code_uris" {
  description = "Where the pipeline expects its processing and training code (make pipeline uploads it)."
  value       = module.mlops.pipeline_code_uris
}

output "feature_group_name" {
  description = "Feature group of the subjects (online and offline stores)."
  value       = module.featurestore.feature_group_name
}

output "glue_database_name" {
  description = "Glue Data Catalog database of the offline store."
  value       = module.featurestore.glue_database_name
}

output "glue_table_name" {
  description = "Glue table of the offline store."
  value       = module.featurestore.glue_table_name
}

output "athena_workgroup_name" {
  description = "Athena workgroup for queries over the offline store (enforced, KMS-encrypted results)."
  value       = module.featurestore.athena_workgroup_name
}

output "athena_results_s3_uri" {
  description = "Where Athena writes query results."
  value       = module.featurestore.athena_results_s3_uri
}

output "environment" {
  description = "Environment label (local, dev, validation, prod): outside local a person approves every model version."
  value       = var.environment
}

output "retraining_state_machine_arn" {
  description = "Step Functions state machine that retrains the model (drift alarm or schedule)."
  value       = module.mlops.retraining_state_machine_arn
}

output "drift_alarm_names" {
  description = "Drift alarm per monitored feature."
  value       = module.mlops.drift_alarm_names
}
