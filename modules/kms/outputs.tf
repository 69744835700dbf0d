output "data_key_arn" {
  description = "ARN of the data (S3) key."
  value       = try(aws_kms_key.this["data"].arn, null)
}

output "data_key_id" {
  description = "Key id of the data (S3) key."
  value       = try(aws_kms_key.this["data"].key_id, null)
}

output "volume_key_arn" {
  description = "ARN of the volume (EBS / ML storage) key."
  value       = try(aws_kms_key.this["volume"].arn, null)
}

output "model_key_arn" {
  description = "ARN of the model (artifacts, endpoint, data capture) key."
  value       = try(aws_kms_key.this["model"].arn, null)
}

output "logs_key_arn" {
  description = "ARN of the logs (CloudWatch Logs, CloudTrail, SNS) key."
  value       = try(aws_kms_key.this["logs"].arn, null)
}

output "signing_key_arn" {
  description = "ARN of the asymmetric evidence signing key."
  value       = try(aws_kms_key.signing["signing"].arn, null)
}

output "signing_key_id" {
  description = "Key id of the asymmetric evidence signing key."
  value       = try(aws_kms_key.signing["signing"].key_id, null)
}

output "approvals_key_arn" {
  description = "ARN of the asymmetric key for people's signatures (approvals)."
  value       = try(aws_kms_key.signing["approvals"].arn, null)
}

output "approvals_key_id" {
  description = "Key id of the asymmetric key for people's signatures (approvals)."
  value       = try(aws_kms_key.signing["approvals"].key_id, null)
}

output "key_administrator_arns" {
  description = "Principals that administer the keys (the deploying principal first)."
  value       = local.key_administrators
}

output "break_glass_principal_arns" {
  description = "Principals that may schedule deletion of, or disable, a protected key."
  value       = local.break_glass
}

output "key_arns" {
  description = "Map purpose (data, volume, model, logs, signing, approvals) -> key ARN."
  value       = local.key_arns
}

output "key_ids" {
  description = "Map purpose (data, volume, model, logs, signing, approvals) -> key id."
  value       = local.key_ids
}

output "symmetric_key_arns" {
  description = "ARNs of the four symmetric encryption keys (data, volume, model, logs), e.g. for the iam module's kms_key_arns."
  value       = [for p in keys(local.symmetric_keys) : aws_kms_key.this[p].arn]
}

output "alias_names" {
  description = "Map purpose (data, volume, model, logs, signing, approvals) -> alias name (alias/<name_prefix>-<purpose>)."
  value       = { for p, a in aws_kms_alias.this : p => a.name }
}

output "alias_arns" {
  description = "Map purpose -> alias ARN."
  value       = { for p, a in aws_kms_alias.this : p => a.arn }
}
