output "feature_group_name" {
  description = "Feature group of the subjects."
  value       = aws_sagemaker_feature_group.this.feature_group_name
}

output "feature_group_arn" {
  description = "ARN of the feature group."
  value       = aws_sagemaker_feature_group.this.arn
}

output "record_identifier_name" {
  description = "Feature that identifies a record."
  value       = var.record_identifier_name
}

output "event_time_name" {
  description = "Feature that holds a record's event time."
  value       = var.event_time_name
}

output "glue_database_name" {
  description = "Glue Data Catalog database of the offline store."
  value       = aws_glue_catalog_database.this.name
}

output "glue_table_name" {
  description = "Glue table of the offline store (created by SageMaker Feature Store)."
  value       = local.table_name
}

output "offline_store_s3_uri" {
  description = "Where the offline store writes (SageMaker appends <account>/sagemaker/<region>/offline-store/...)."
  value       = local.offline_store_uri
}

output "athena_workgroup_name" {
  description = "Athena workgroup for queries over the offline store."
  value       = aws_athena_workgroup.this.name
}

output "athena_results_s3_uri" {
  description = "Where Athena writes query results (enforced by the workgroup)."
  value       = local.athena_results_uri
}

output "feature_store_role_arn" {
  description = "Role SageMaker Feature Store uses for the offline store."
  value       = aws_iam_role.feature_store.arn
}
