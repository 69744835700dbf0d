output "data_lake_bucket_id" {
  description = "Name (id) of the data lake bucket, available once its encryption, policy and public access block are in place."
  value       = aws_s3_bucket.data_lake.id

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.data_lake,
    aws_s3_bucket_public_access_block.data_lake,
    aws_s3_bucket_policy.data_lake,
  ]
}

output "data_lake_bucket_arn" {
  description = "ARN of the data lake bucket."
  value       = local.data_lake_bucket_arn
}

output "evidence_bucket_id" {
  description = "Name (id) of the Object Lock evidence bucket, available once its Object Lock, encryption and policy (incl. CloudTrail statements) are in place."
  value       = aws_s3_bucket.evidence.id

  # A trail created before the bucket policy fails (InsufficientS3BucketPolicyException).
  depends_on = [
    aws_s3_bucket_object_lock_configuration.evidence,
    aws_s3_bucket_server_side_encryption_configuration.evidence,
    aws_s3_bucket_public_access_block.evidence,
    aws_s3_bucket_policy.evidence,
  ]
}

output "evidence_bucket_arn" {
  description = "ARN of the Object Lock evidence bucket."
  value       = local.evidence_bucket_arn
}

output "access_log_bucket_id" {
  description = "Name (id) of the S3 server access log bucket, available once its policy is in place."
  value       = aws_s3_bucket.access_log.id

  depends_on = [aws_s3_bucket_policy.access_log]
}

output "access_log_bucket_arn" {
  description = "ARN of the S3 server access log bucket."
  value       = local.access_log_bucket_arn
}

output "data_lake_prefix_uris" {
  description = "S3 URIs of the data lake prefixes the platform uses: processed_ml (training input), models (model output), data_capture (endpoint data capture, under models/)."
  value = {
    processed_ml = "s3://${var.data_lake_bucket_name}/processed/ml/"
    models       = "s3://${var.data_lake_bucket_name}/models/"
    data_capture = "s3://${var.data_lake_bucket_name}/models/data-capture"
  }
}

output "evidence_object_lock" {
  description = "Default Object Lock retention of the evidence bucket (mode and days)."
  value = {
    mode = aws_s3_bucket_object_lock_configuration.evidence.rule[0].default_retention[0].mode
    days = aws_s3_bucket_object_lock_configuration.evidence.rule[0].default_retention[0].days
  }
}

output "cloudtrail_s3_object_prefix" {
  description = "Key prefix under which the trail may write in the evidence bucket (null when cloudtrail_trail_arn is null)."
  value       = var.cloudtrail_trail_arn == null ? null : local.cloudtrail_object_prefix
}
