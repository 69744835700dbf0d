data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # ARNs are built from the (validated) names so they are known at plan time.
  data_lake_bucket_arn  = "arn:${local.partition}:s3:::${var.data_lake_bucket_name}"
  evidence_bucket_arn   = "arn:${local.partition}:s3:::${var.evidence_bucket_name}"
  access_log_bucket_arn = "arn:${local.partition}:s3:::${var.access_log_bucket_name}"

  # Server access log prefixes inside the access-log bucket, one per source bucket.
  access_log_prefixes = {
    data_lake = "data-lake/"
    evidence  = "evidence/"
  }

  # CloudTrail writes <prefix>/AWSLogs/<account>/...; empty prefix means the bucket root.
  cloudtrail_object_prefix = var.cloudtrail_s3_key_prefix == "" ? "AWSLogs/${local.account_id}/" : "${var.cloudtrail_s3_key_prefix}/AWSLogs/${local.account_id}/"

  # Noncurrent evidence versions are never expired before the Object Lock retention ends.
  evidence_noncurrent_expiration_days = max(var.noncurrent_version_expiration_days, var.object_lock_retention_days)

  deny_insecure_transport = {
    for name, arn in {
      data_lake  = local.data_lake_bucket_arn
      evidence   = local.evidence_bucket_arn
      access_log = local.access_log_bucket_arn
      } : name => {
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "s3:*"
      Resource  = [arn, "${arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }
  }

  # A write that asks for an encryption other than SSE-KMS (for example SSE-S3) is refused; a write
  # without encryption headers gets the bucket's default, SSE-KMS with the platform key.
  deny_non_kms_encryption = {
    for name, arn in {
      data_lake = local.data_lake_bucket_arn
      evidence  = local.evidence_bucket_arn
      } : name => {
      Sid       = "DenyEncryptionOtherThanKms"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "s3:PutObject"
      Resource  = "${arn}/*"
      Condition = {
        StringNotEquals = { "s3:x-amz-server-side-encryption" = ["aws:kms", "aws:kms:dsse"] }
        Null            = { "s3:x-amz-server-side-encryption" = "false" }
      }
    }
  }

  # TLS 1.2 at least: older protocol versions are refused even over HTTPS.
  deny_old_tls = {
    for name, arn in {
      data_lake  = local.data_lake_bucket_arn
      evidence   = local.evidence_bucket_arn
      access_log = local.access_log_bucket_arn
      } : name => {
      Sid       = "DenyTlsBelow12"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "s3:*"
      Resource  = [arn, "${arn}/*"]
      Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
    }
  }

  cloudtrail_statements = var.cloudtrail_trail_arn == null ? [] : [
    {
      Sid       = "AllowCloudTrailAclCheck"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "s3:GetBucketAcl"
      Resource  = local.evidence_bucket_arn
      Condition = { StringEquals = { "aws:SourceArn" = var.cloudtrail_trail_arn } }
    },
    {
      Sid       = "AllowCloudTrailWrite"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "${local.evidence_bucket_arn}/${local.cloudtrail_object_prefix}*"
      Condition = {
        StringEquals = {
          "aws:SourceArn" = var.cloudtrail_trail_arn
          "s3:x-amz-acl"  = "bucket-owner-full-control"
        }
      }
    },
  ]

  data_lake_policy = {
    Version   = "2012-10-17"
    Statement = [local.deny_insecure_transport.data_lake, local.deny_non_kms_encryption.data_lake, local.deny_old_tls.data_lake]
  }

  evidence_policy = {
    Version   = "2012-10-17"
    Statement = concat([local.deny_insecure_transport.evidence, local.deny_non_kms_encryption.evidence, local.deny_old_tls.evidence], local.cloudtrail_statements)
  }

  access_log_policy = {
    Version = "2012-10-17"
    Statement = [
      local.deny_insecure_transport.access_log,
      local.deny_old_tls.access_log,
      {
        Sid       = "AllowS3ServerAccessLogDelivery"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = [for prefix in values(local.access_log_prefixes) : "${local.access_log_bucket_arn}/${prefix}*"]
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = [local.data_lake_bucket_arn, local.evidence_bucket_arn] }
        }
      },
    ]
  }
}

################################################################################
# Access-log bucket (target of S3 server access logging for the other two)
################################################################################

resource "aws_s3_bucket" "access_log" {
  #checkov:skip=CKV_AWS_18:this bucket is the server access log target; logging it into itself would loop
  #checkov:skip=CKV_AWS_144:single-region platform by design; durability comes from S3 and versioning, see README
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to SSE-S3 (AES256) targets, not SSE-KMS
  #checkov:skip=CKV2_AWS_62:no consumer of object-created events for access logs; delivery is by the S3 logging service
  bucket        = var.access_log_bucket_name
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Purpose = "s3-access-logs" })
}

resource "aws_s3_bucket_ownership_controls" "access_log" {
  bucket = aws_s3_bucket.access_log.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_log" {
  bucket = aws_s3_bucket.access_log.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_log" {
  bucket = aws_s3_bucket.access_log.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_log" {
  bucket = aws_s3_bucket.access_log.id

  rule {
    # S3 server access logging cannot write to SSE-KMS encrypted target buckets.
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_log" {
  bucket = aws_s3_bucket.access_log.id

  rule {
    id     = "noncurrent-expiration-and-abort-multipart"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_log]
}

resource "aws_s3_bucket_policy" "access_log" {
  #policy-lint:skip=MISMATCHED_TYPE:parliament 1.6.4 accepts only whole numbers as Numeric condition values; "1.2" is the s3:TlsVersion value AWS documents for a TLS 1.2 minimum
  #policy-lint:skip=UNKNOWN_CONDITION_FOR_ACTION:the TLS 1.2 Deny covers s3:* - the few actions without s3:TlsVersion are refused over plain HTTP by the aws:SecureTransport Deny and reachable only over TLS
  bucket = aws_s3_bucket.access_log.id
  policy = jsonencode(local.access_log_policy)

  depends_on = [aws_s3_bucket_public_access_block.access_log]
}

################################################################################
# Data lake bucket (prefixes processed/ml/ and models/; no objects are managed here)
################################################################################

resource "aws_s3_bucket" "data_lake" {
  #checkov:skip=CKV_AWS_144:single-region platform by design; durability comes from S3 and versioning, see README
  #checkov:skip=CKV2_AWS_62:no event-driven consumer; object access is audited through server access logs
  bucket        = var.data_lake_bucket_name
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Purpose = "data-lake" })
}

resource "aws_s3_bucket_ownership_controls" "data_lake" {
  bucket = aws_s3_bucket.data_lake.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "data_lake" {
  bucket = aws_s3_bucket.data_lake.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "data_lake" {
  bucket = aws_s3_bucket.data_lake.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data_lake" {
  bucket = aws_s3_bucket.data_lake.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "data_lake" {
  bucket        = aws_s3_bucket.data_lake.id
  target_bucket = aws_s3_bucket.access_log.id
  target_prefix = local.access_log_prefixes.data_lake

  # Log delivery needs the target bucket's policy in place first.
  depends_on = [aws_s3_bucket_policy.access_log]
}

resource "aws_s3_bucket_lifecycle_configuration" "data_lake" {
  bucket = aws_s3_bucket.data_lake.id

  rule {
    id     = "noncurrent-expiration-and-abort-multipart"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.data_lake]
}

resource "aws_s3_bucket_policy" "data_lake" {
  #policy-lint:skip=MISMATCHED_TYPE:parliament 1.6.4 accepts only whole numbers as Numeric condition values; "1.2" is the s3:TlsVersion value AWS documents for a TLS 1.2 minimum
  #policy-lint:skip=UNKNOWN_CONDITION_FOR_ACTION:the TLS 1.2 Deny covers s3:* - the few actions without s3:TlsVersion are refused over plain HTTP by the aws:SecureTransport Deny and reachable only over TLS
  bucket = aws_s3_bucket.data_lake.id
  policy = jsonencode(local.data_lake_policy)

  depends_on = [aws_s3_bucket_public_access_block.data_lake]
}

################################################################################
# Evidence bucket (Object Lock; qualification evidence and, optionally, CloudTrail)
# No objects are managed by Terraform here: an object written under default
# retention would drift and could not be removed.
################################################################################

resource "aws_s3_bucket" "evidence" {
  #checkov:skip=CKV_AWS_144:single-region platform by design; immutability comes from Object Lock, see README
  #checkov:skip=CKV2_AWS_62:no event-driven consumer; object access is audited through server access logs
  bucket              = var.evidence_bucket_name
  force_destroy       = var.force_destroy
  object_lock_enabled = true

  tags = merge(var.tags, { Purpose = "gxp-evidence" })
}

resource "aws_s3_bucket_ownership_controls" "evidence" {
  bucket = aws_s3_bucket.evidence.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "evidence" {
  bucket = aws_s3_bucket.evidence.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "evidence" {
  bucket = aws_s3_bucket.evidence.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "evidence" {
  bucket              = aws_s3_bucket.evidence.id
  object_lock_enabled = "Enabled"

  rule {
    default_retention {
      mode = var.object_lock_mode
      days = var.object_lock_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.evidence]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "evidence" {
  bucket = aws_s3_bucket.evidence.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "evidence" {
  bucket        = aws_s3_bucket.evidence.id
  target_bucket = aws_s3_bucket.access_log.id
  target_prefix = local.access_log_prefixes.evidence

  depends_on = [aws_s3_bucket_policy.access_log]
}

resource "aws_s3_bucket_lifecycle_configuration" "evidence" {
  bucket = aws_s3_bucket.evidence.id

  rule {
    id     = "noncurrent-expiration-and-abort-multipart"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = local.evidence_noncurrent_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.evidence]
}

resource "aws_s3_bucket_policy" "evidence" {
  #policy-lint:skip=MISMATCHED_TYPE:parliament 1.6.4 accepts only whole numbers as Numeric condition values; "1.2" is the s3:TlsVersion value AWS documents for a TLS 1.2 minimum
  #policy-lint:skip=UNKNOWN_CONDITION_FOR_ACTION:the TLS 1.2 Deny covers s3:* - the few actions without s3:TlsVersion are refused over plain HTTP by the aws:SecureTransport Deny and reachable only over TLS
  bucket = aws_s3_bucket.evidence.id
  policy = jsonencode(local.evidence_policy)

  depends_on = [aws_s3_bucket_public_access_block.evidence]
}
