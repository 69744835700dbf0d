variable "data_lake_bucket_name" {
  description = "Name of the data lake bucket (training input under processed/ml/, model artifacts and data capture under models/)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_lake_bucket_name))
    error_message = "data_lake_bucket_name must be 3-63 characters of lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit (S3 bucket naming rules)."
  }

  validation {
    condition     = !strcontains(var.data_lake_bucket_name, "..") && !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.data_lake_bucket_name))
    error_message = "data_lake_bucket_name must not contain two adjacent periods and must not be formatted as an IP address (S3 bucket naming rules)."
  }

  validation {
    condition = !anytrue(concat(
      [for p in ["xn--", "sthree-", "amzn-s3-demo-"] : startswith(var.data_lake_bucket_name, p)],
      [for s in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] : endswith(var.data_lake_bucket_name, s)],
    ))
    error_message = "data_lake_bucket_name must not use a prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3) that S3 reserves."
  }
}

variable "evidence_bucket_name" {
  description = "Name of the evidence bucket. Object Lock is enabled at creation; qualification evidence and, optionally, CloudTrail logs land here."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.evidence_bucket_name))
    error_message = "evidence_bucket_name must be 3-63 characters of lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit (S3 bucket naming rules)."
  }

  validation {
    condition     = !strcontains(var.evidence_bucket_name, "..") && !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.evidence_bucket_name))
    error_message = "evidence_bucket_name must not contain two adjacent periods and must not be formatted as an IP address (S3 bucket naming rules)."
  }

  validation {
    condition = !anytrue(concat(
      [for p in ["xn--", "sthree-", "amzn-s3-demo-"] : startswith(var.evidence_bucket_name, p)],
      [for s in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] : endswith(var.evidence_bucket_name, s)],
    ))
    error_message = "evidence_bucket_name must not use a prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3) that S3 reserves."
  }
}

variable "access_log_bucket_name" {
  description = "Name of the bucket that receives S3 server access logs of the data lake and evidence buckets. Must differ from both: Object Lock and SSE-KMS on a target block log delivery."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket_name))
    error_message = "access_log_bucket_name must be 3-63 characters of lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit (S3 bucket naming rules)."
  }

  validation {
    condition     = !strcontains(var.access_log_bucket_name, "..") && !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.access_log_bucket_name))
    error_message = "access_log_bucket_name must not contain two adjacent periods and must not be formatted as an IP address (S3 bucket naming rules)."
  }

  validation {
    condition = !anytrue(concat(
      [for p in ["xn--", "sthree-", "amzn-s3-demo-"] : startswith(var.access_log_bucket_name, p)],
      [for s in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] : endswith(var.access_log_bucket_name, s)],
    ))
    error_message = "access_log_bucket_name must not use a prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3) that S3 reserves."
  }

  validation {
    condition     = !contains([var.data_lake_bucket_name, var.evidence_bucket_name], var.access_log_bucket_name)
    error_message = "access_log_bucket_name must differ from data_lake_bucket_name and evidence_bucket_name: access logs need a separate bucket without Object Lock or SSE-KMS."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key (the data key) used for SSE-KMS on the data lake and evidence buckets."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key (arn:<partition>:kms:<region>:<account>:key/<key-id>), not an alias or key id."
  }
}

variable "object_lock_mode" {
  description = "Default Object Lock retention mode of the evidence bucket: COMPLIANCE (no one, not even root, can shorten or remove retention) or GOVERNANCE."
  type        = string
  default     = "COMPLIANCE"
  nullable    = false

  validation {
    condition     = contains(["GOVERNANCE", "COMPLIANCE"], var.object_lock_mode)
    error_message = "object_lock_mode must be \"GOVERNANCE\" or \"COMPLIANCE\"."
  }
}

variable "object_lock_retention_days" {
  description = "Default Object Lock retention period, in days, applied to every new object version in the evidence bucket."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.object_lock_retention_days >= 1 && var.object_lock_retention_days <= 36500 && floor(var.object_lock_retention_days) == var.object_lock_retention_days
    error_message = "object_lock_retention_days must be a whole number between 1 and 36500."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions expire. For the evidence bucket the effective value is never below object_lock_retention_days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 36500 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number between 1 and 36500."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after initiation at which incomplete multipart uploads are aborted, in every bucket."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && var.abort_incomplete_multipart_upload_days <= 365 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number between 1 and 365."
  }
}

variable "force_destroy" {
  description = "Allow Terraform to delete non-empty buckets. Objects still under Object Lock retention cannot be deleted regardless."
  type        = bool
  default     = false
  nullable    = false
}

variable "cloudtrail_trail_arn" {
  description = "ARN of the CloudTrail trail allowed to write into the evidence bucket under <cloudtrail_s3_key_prefix>/AWSLogs/<account>/. null: no CloudTrail statements."
  type        = string
  default     = null

  validation {
    condition     = var.cloudtrail_trail_arn == null || can(regex("^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/[A-Za-z0-9._-]+$", var.cloudtrail_trail_arn))
    error_message = "cloudtrail_trail_arn must be null or a CloudTrail trail ARN (arn:<partition>:cloudtrail:<region>:<account>:trail/<name>)."
  }
}

variable "cloudtrail_s3_key_prefix" {
  description = "S3 key prefix the trail uses in the evidence bucket (must match the trail's s3_key_prefix). Empty string: bucket root."
  type        = string
  default     = "cloudtrail"
  nullable    = false

  validation {
    condition     = var.cloudtrail_s3_key_prefix == "" || can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$", var.cloudtrail_s3_key_prefix))
    error_message = "cloudtrail_s3_key_prefix must be empty or a key prefix without leading or trailing slash (e.g. \"cloudtrail\")."
  }
}

variable "tags" {
  description = "Tags applied to every bucket."
  type        = map(string)
  default     = {}
  nullable    = false
}
