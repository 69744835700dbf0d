# Planned security controls of the three buckets with default inputs.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:root"
      user_id    = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition          = "aws"
      dns_suffix         = "amazonaws.com"
      reverse_dns_prefix = "com.amazonaws"
    }
  }
}

variables {
  data_lake_bucket_name  = "gxp-test-data-lake"
  evidence_bucket_name   = "gxp-test-evidence"
  access_log_bucket_name = "gxp-test-access-logs"
  kms_key_arn            = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  tags                   = { Project = "gxp-sagemaker" }
}

run "buckets_named_and_tagged" {
  command = plan

  assert {
    condition     = aws_s3_bucket.data_lake.bucket == "gxp-test-data-lake" && aws_s3_bucket.evidence.bucket == "gxp-test-evidence" && aws_s3_bucket.access_log.bucket == "gxp-test-access-logs"
    error_message = "Bucket names must come from the inputs."
  }

  assert {
    condition     = alltrue([for b in [aws_s3_bucket.data_lake, aws_s3_bucket.evidence, aws_s3_bucket.access_log] : b.tags["Project"] == "gxp-sagemaker"])
    error_message = "Every bucket must carry the input tags."
  }

  assert {
    condition     = !aws_s3_bucket.data_lake.force_destroy && !aws_s3_bucket.evidence.force_destroy && !aws_s3_bucket.access_log.force_destroy
    error_message = "force_destroy must default to false."
  }
}

run "sse_kms_with_bucket_keys" {
  command = plan

  assert {
    condition = alltrue([for c in [aws_s3_bucket_server_side_encryption_configuration.data_lake, aws_s3_bucket_server_side_encryption_configuration.evidence] :
      one(c.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" &&
      one(c.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == var.kms_key_arn &&
    one(c.rule).bucket_key_enabled == true])
    error_message = "Data lake and evidence buckets must use SSE-KMS with the data key and bucket keys."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.access_log.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "The access-log bucket must use SSE-S3 (AES256): server access logging cannot deliver to SSE-KMS targets."
  }
}

run "versioning_public_access_ownership" {
  command = plan

  assert {
    condition = alltrue([for v in [aws_s3_bucket_versioning.data_lake, aws_s3_bucket_versioning.evidence, aws_s3_bucket_versioning.access_log] :
    v.versioning_configuration[0].status == "Enabled"])
    error_message = "Versioning must be enabled on every bucket."
  }

  assert {
    condition = alltrue([for p in [aws_s3_bucket_public_access_block.data_lake, aws_s3_bucket_public_access_block.evidence, aws_s3_bucket_public_access_block.access_log] :
    p.block_public_acls && p.block_public_policy && p.ignore_public_acls && p.restrict_public_buckets])
    error_message = "All four public access block settings must be true on every bucket."
  }

  assert {
    condition = alltrue([for o in [aws_s3_bucket_ownership_controls.data_lake, aws_s3_bucket_ownership_controls.evidence, aws_s3_bucket_ownership_controls.access_log] :
    o.rule[0].object_ownership == "BucketOwnerEnforced"])
    error_message = "ACLs must be disabled (BucketOwnerEnforced) on every bucket."
  }
}

run "object_lock_defaults" {
  command = plan

  assert {
    condition     = aws_s3_bucket.evidence.object_lock_enabled == true
    error_message = "Object Lock must be enabled on the evidence bucket at creation."
  }

  assert {
    condition     = aws_s3_bucket_object_lock_configuration.evidence.rule[0].default_retention[0].mode == "COMPLIANCE"
    error_message = "The default Object Lock mode must be COMPLIANCE."
  }

  assert {
    condition     = aws_s3_bucket_object_lock_configuration.evidence.rule[0].default_retention[0].days == 365
    error_message = "The default Object Lock retention must be 365 days."
  }

  assert {
    condition     = aws_s3_bucket_object_lock_configuration.evidence.object_lock_enabled == "Enabled"
    error_message = "The Object Lock configuration must be Enabled."
  }

  assert {
    condition     = output.evidence_object_lock.mode == "COMPLIANCE" && output.evidence_object_lock.days == 365
    error_message = "evidence_object_lock must report the planned retention."
  }
}

run "access_logging_into_separate_bucket" {
  command = plan

  assert {
    condition     = aws_s3_bucket_logging.data_lake.target_prefix == "data-lake/" && aws_s3_bucket_logging.evidence.target_prefix == "evidence/"
    error_message = "Each source bucket must log under its own prefix."
  }

  assert {
    condition     = one([for s in jsondecode(aws_s3_bucket_policy.access_log.policy).Statement : s if s.Sid == "AllowS3ServerAccessLogDelivery"]).Principal.Service == "logging.s3.amazonaws.com" && one([for s in jsondecode(aws_s3_bucket_policy.access_log.policy).Statement : s if s.Sid == "AllowS3ServerAccessLogDelivery"]).Action == "s3:PutObject"
    error_message = "Only logging.s3.amazonaws.com may write access logs, and only PutObject."
  }

  assert {
    condition     = one([for s in jsondecode(aws_s3_bucket_policy.access_log.policy).Statement : s if s.Sid == "AllowS3ServerAccessLogDelivery"]).Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "Log delivery must be scoped to this account (aws:SourceAccount)."
  }

  assert {
    condition     = toset(one([for s in jsondecode(aws_s3_bucket_policy.access_log.policy).Statement : s if s.Sid == "AllowS3ServerAccessLogDelivery"]).Condition.ArnLike["aws:SourceArn"]) == toset(["arn:aws:s3:::gxp-test-data-lake", "arn:aws:s3:::gxp-test-evidence"])
    error_message = "Log delivery must be scoped to the two source buckets (aws:SourceArn)."
  }

  assert {
    condition     = toset(one([for s in jsondecode(aws_s3_bucket_policy.access_log.policy).Statement : s if s.Sid == "AllowS3ServerAccessLogDelivery"]).Resource) == toset(["arn:aws:s3:::gxp-test-access-logs/data-lake/*", "arn:aws:s3:::gxp-test-access-logs/evidence/*"])
    error_message = "Log delivery must be limited to the two log prefixes."
  }

  assert {
    condition     = length([for s in jsondecode(aws_s3_bucket_policy.access_log.policy).Statement : s if s.Sid == "AllowS3ServerAccessLogDelivery"]) == 1
    error_message = "The access-log bucket policy must grant log delivery."
  }
}

run "deny_insecure_transport_everywhere" {
  command = plan

  assert {
    condition = alltrue([for p in [aws_s3_bucket_policy.data_lake.policy, aws_s3_bucket_policy.evidence.policy, aws_s3_bucket_policy.access_log.policy] :
      anytrue([for s in jsondecode(p).Statement :
        s.Effect == "Deny" && s.Action == "s3:*" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false" && length(s.Resource) == 2
    ])])
    error_message = "Every bucket policy must deny requests without TLS on the bucket and its objects."
  }

  assert {
    condition = alltrue([for p in [aws_s3_bucket_policy.data_lake.policy, aws_s3_bucket_policy.evidence.policy, aws_s3_bucket_policy.access_log.policy] :
      anytrue([for s in jsondecode(p).Statement :
        s.Effect == "Deny" && s.Action == "s3:*" && try(s.Condition.NumericLessThan["s3:TlsVersion"], "") == "1.2" && length(s.Resource) == 2
    ])])
    error_message = "Every bucket policy must deny TLS versions below 1.2."
  }

  assert {
    condition     = length(jsondecode(aws_s3_bucket_policy.evidence.policy).Statement) == 3
    error_message = "Without cloudtrail_trail_arn the evidence bucket policy holds only the two TLS denies and the non-KMS encryption deny."
  }

  assert {
    condition = alltrue(flatten([for p in [aws_s3_bucket_policy.data_lake.policy, aws_s3_bucket_policy.evidence.policy, aws_s3_bucket_policy.access_log.policy] :
    [for s in jsondecode(p).Statement : s.Effect == "Deny" || !can(s.Principal.AWS)]]))
    error_message = "No Allow statement may name an AWS principal (let alone \"*\")."
  }
}

run "lifecycle_rules" {
  command = plan

  assert {
    condition = alltrue([for l in [aws_s3_bucket_lifecycle_configuration.data_lake, aws_s3_bucket_lifecycle_configuration.access_log] :
      l.rule[0].status == "Enabled" &&
      l.rule[0].noncurrent_version_expiration[0].noncurrent_days == 365 &&
    l.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 7])
    error_message = "Lifecycle must expire noncurrent versions after 365 days and abort multipart uploads after 7 days."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.evidence.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 7
    error_message = "The evidence bucket must abort incomplete multipart uploads."
  }
}

run "evidence_noncurrent_expiration_not_below_retention" {
  command = plan

  variables {
    object_lock_mode                   = "GOVERNANCE"
    object_lock_retention_days         = 3650
    noncurrent_version_expiration_days = 90
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.evidence.rule[0].noncurrent_version_expiration[0].noncurrent_days == 3650
    error_message = "Evidence noncurrent versions must not be scheduled to expire before the retention ends."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.data_lake.rule[0].noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "The data lake must use noncurrent_version_expiration_days as given."
  }

  assert {
    condition     = aws_s3_bucket_object_lock_configuration.evidence.rule[0].default_retention[0].mode == "GOVERNANCE" && aws_s3_bucket_object_lock_configuration.evidence.rule[0].default_retention[0].days == 3650
    error_message = "object_lock_mode and object_lock_retention_days must reach the Object Lock configuration."
  }
}

run "data_capture_prefix_under_models" {
  command = plan

  # The execution role may write only under processed/ml/ and models/.
  assert {
    condition     = output.data_lake_prefix_uris.data_capture == "s3://gxp-test-data-lake/models/data-capture"
    error_message = "Data capture must land under the models/ prefix of the data lake."
  }

  assert {
    condition     = output.data_lake_prefix_uris.processed_ml == "s3://gxp-test-data-lake/processed/ml/" && output.data_lake_prefix_uris.models == "s3://gxp-test-data-lake/models/"
    error_message = "data_lake_prefix_uris must name the processed/ml/ and models/ prefixes."
  }

  assert {
    condition     = output.data_lake_bucket_arn == "arn:aws:s3:::gxp-test-data-lake" && output.evidence_bucket_arn == "arn:aws:s3:::gxp-test-evidence" && output.access_log_bucket_arn == "arn:aws:s3:::gxp-test-access-logs"
    error_message = "Bucket ARN outputs must be known at plan and well-formed."
  }
}

run "writes_asking_for_other_encryption_denied" {
  command = plan

  assert {
    condition = alltrue([for policy in [aws_s3_bucket_policy.data_lake.policy, aws_s3_bucket_policy.evidence.policy] :
      one([for s in jsondecode(policy).Statement : s if s.Sid == "DenyEncryptionOtherThanKms"]).Effect == "Deny"
    ])
    error_message = "The data lake and evidence bucket policies must deny writes asking for an encryption other than SSE-KMS."
  }

  assert {
    condition = alltrue([for policy in [aws_s3_bucket_policy.data_lake.policy, aws_s3_bucket_policy.evidence.policy] :
      one([for s in jsondecode(policy).Statement : s if s.Sid == "DenyEncryptionOtherThanKms"]).Condition.Null["s3:x-amz-server-side-encryption"] == "false"
    ])
    error_message = "Only a write that names an encryption is denied; one without headers gets the SSE-KMS default."
  }
}
