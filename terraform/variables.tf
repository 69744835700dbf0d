variable "name_prefix" {
  description = "Prefix of every resource name (lowercase letters, digits and hyphens, 3-24 characters)."
  type        = string
  default     = "gxp-ml"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-24 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the platform."
  type        = string
  default     = "eu-central-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "environment" {
  description = "Environment label written into tags (e.g. local, dev, validation, prod)."
  type        = string
  default     = "local"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be 1-16 lowercase letters, digits or hyphens."
  }
}

variable "tags" {
  description = "Extra tags applied to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "persona_trust_deployer" {
  description = "Let the deploying identity assume every persona role (auditor, validation, data scientist, approver) and sign approvals. Only for environment local, where the suites and a developer act as every persona."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.persona_trust_deployer || var.environment == "local"
    error_message = "persona_trust_deployer may be true only when environment is local: a validated environment names who may assume each persona."
  }
}

variable "auditor_principal_arns" {
  description = "IAM roles or users allowed to assume the read-only auditor role. Required outside environment local: nothing defaults to the deploying identity."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.auditor_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "auditor_principal_arns must hold IAM role or user ARNs (not the account root, no wildcards)."
  }

  validation {
    condition     = length(var.auditor_principal_arns) > 0 || var.persona_trust_deployer
    error_message = "auditor_principal_arns must name at least one IAM role or user: nobody could assume the read-only auditor role (only environment local may trust the deploying identity, with persona_trust_deployer = true)."
  }
}

variable "validation_principal_arns" {
  description = "IAM roles or users allowed to assume the validation (qualification) role. Required outside environment local: nothing defaults to the deploying identity."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.validation_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "validation_principal_arns must hold IAM role or user ARNs (not the account root, no wildcards)."
  }

  validation {
    condition     = length(var.validation_principal_arns) > 0 || var.persona_trust_deployer
    error_message = "validation_principal_arns must name at least one IAM role or user: nobody could assume the validation (qualification) role (only environment local may trust the deploying identity, with persona_trust_deployer = true)."
  }
}

variable "data_scientist_principal_arns" {
  description = "IAM roles or users allowed to assume the data scientist role. Required outside environment local: nothing defaults to the deploying identity."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.data_scientist_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "data_scientist_principal_arns must hold IAM role or user ARNs (not the account root, no wildcards)."
  }

  validation {
    condition     = length(var.data_scientist_principal_arns) > 0 || var.persona_trust_deployer
    error_message = "data_scientist_principal_arns must name at least one IAM role or user: nobody could assume the data scientist role (only environment local may trust the deploying identity, with persona_trust_deployer = true)."
  }
}

variable "approver_principal_arns" {
  description = "IAM roles or users allowed to assume the approver role. Required outside environment local: nothing defaults to the deploying identity."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.approver_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "approver_principal_arns must hold IAM role or user ARNs (not the account root, no wildcards)."
  }

  validation {
    condition     = length(var.approver_principal_arns) > 0 || var.persona_trust_deployer
    error_message = "approver_principal_arns must name at least one IAM role or user: nobody could assume the approver role (only environment local may trust the deploying identity, with persona_trust_deployer = true)."
  }
}

variable "reviewer_principal_arns" {
  description = "IAM roles or users that may sign people's approvals with the approvals key directly (besides the approver role)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.reviewer_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "reviewer_principal_arns must hold IAM role or user ARNs (not the account root, no wildcards)."
  }
}

variable "auditor_require_mfa" {
  description = "Require MFA to assume the auditor role. Must stay true outside environment local (the embedded local AWS has no MFA)."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.auditor_require_mfa || var.environment == "local"
    error_message = "auditor_require_mfa must be true when environment is not local: auditors assume their role with MFA."
  }
}

# --- KMS -------------------------------------------------------------------------------------------

variable "enable_key_rotation" {
  description = "Yearly rotation of the customer-managed keys. GxP policy: must stay true."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.enable_key_rotation
    error_message = "enable_key_rotation must be true: customer-managed keys for data at rest must rotate."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion (7-30 days)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "key_administrator_arns" {
  description = "IAM roles or users that administer the KMS keys besides the deploying identity (which always does: CreateKey's lockout check). They must exist before the keys."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "key_administrator_arns must hold IAM role or user ARNs (not the account root, no wildcards)."
  }
}

variable "break_glass_principal_arns" {
  description = "IAM roles or users that may schedule deletion of, or disable, a KMS key besides the deploying identity. Everyone else, the account root included, is denied by the key policies."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.break_glass_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "break_glass_principal_arns must hold IAM role or user ARNs (not the account root, no wildcards)."
  }
}

# --- Network ---------------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the platform VPC."
  type        = string
  default     = "10.42.0.0/16"
  nullable    = false

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be a valid IPv4 CIDR block of /24 or larger."
  }
}

variable "availability_zones" {
  description = "Availability zones for the private subnets (at least two, available in the region). Empty: the first two available zones of the region."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.availability_zones) == 0 || length(distinct(var.availability_zones)) >= 2
    error_message = "availability_zones must name at least two distinct zones (or be empty for the region's first two available zones)."
  }
}

# --- Storage ---------------------------------------------------------------------------------------

variable "data_lake_bucket_name" {
  description = "Name of the data lake bucket (training data under processed/ml/, models under models/). Null: <name_prefix>-datalake-<account>."
  type        = string
  default     = null

  validation {
    condition = var.data_lake_bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_lake_bucket_name)) &&
      !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$|^xn--|-s3alias$", var.data_lake_bucket_name))
    )
    error_message = "data_lake_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "evidence_bucket_name" {
  description = "Name of the evidence bucket (Object Lock). Null: <name_prefix>-evidence-<account>."
  type        = string
  default     = null

  validation {
    condition = var.evidence_bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.evidence_bucket_name)) &&
      !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$|^xn--|-s3alias$", var.evidence_bucket_name))
    )
    error_message = "evidence_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "access_log_bucket_name" {
  description = "Name of the S3 server access log bucket. Null: <name_prefix>-access-logs-<account>."
  type        = string
  default     = null

  validation {
    condition = var.access_log_bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket_name)) &&
      !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$|^xn--|-s3alias$", var.access_log_bucket_name))
    )
    error_message = "access_log_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "object_lock_mode" {
  description = "Default Object Lock mode of the evidence bucket: COMPLIANCE (nobody can shorten it) or GOVERNANCE."
  type        = string
  default     = "COMPLIANCE"
  nullable    = false

  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.object_lock_mode)
    error_message = "object_lock_mode must be COMPLIANCE or GOVERNANCE."
  }

  validation {
    condition     = var.object_lock_mode == "COMPLIANCE" || var.environment == "local"
    error_message = "object_lock_mode must be COMPLIANCE when environment is not local: GOVERNANCE-locked evidence can be deleted by anyone allowed s3:BypassGovernanceRetention."
  }
}

variable "min_evidence_retention_days" {
  description = "Shortest Object Lock retention of evidence accepted outside environment local, in days (the records retention policy)."
  type        = number
  default     = 3650
  nullable    = false

  validation {
    condition     = var.min_evidence_retention_days >= 1 && floor(var.min_evidence_retention_days) == var.min_evidence_retention_days
    error_message = "min_evidence_retention_days must be a whole number of at least 1."
  }
}

variable "object_lock_retention_days" {
  description = "Default Object Lock retention of evidence, in days."
  type        = number
  default     = 3650
  nullable    = false

  validation {
    condition     = var.object_lock_retention_days >= 1 && var.object_lock_retention_days <= 36500 && floor(var.object_lock_retention_days) == var.object_lock_retention_days
    error_message = "object_lock_retention_days must be a whole number between 1 and 36500."
  }

  validation {
    condition     = var.object_lock_retention_days >= var.min_evidence_retention_days || var.environment == "local"
    error_message = "object_lock_retention_days must be at least min_evidence_retention_days (default 3650) when environment is not local: evidence is kept for the declared retention."
  }
}

variable "force_destroy_buckets" {
  description = "Let destroy empty the buckets (including GOVERNANCE-locked evidence). For disposable environments only."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.force_destroy_buckets || var.environment == "local"
    error_message = "force_destroy_buckets must be false when environment is not local: destroy must never empty the data lake or the evidence bucket."
  }
}

# --- Logs ------------------------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group, in days. GxP policy: at least one year."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.log_retention_days >= 365 && contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be at least 365 and one of CloudWatch's values: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "keep_log_groups_on_destroy" {
  description = "Leave the audit log groups (CloudTrail, VPC flow logs, SageMaker) in place on destroy, with their retention. Must stay true outside environment local."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.keep_log_groups_on_destroy || var.environment == "local"
    error_message = "keep_log_groups_on_destroy must be true when environment is not local: audit logs outlive the platform for their retention."
  }
}

variable "alarm_subscriptions" {
  description = "Who hears the alarms (endpoint and security): SNS subscriptions of the KMS-encrypted alarm topic, e.g. [{ protocol = \"email\", endpoint = \"qa-security@example.com\" }]."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default  = []
  nullable = false
}

# --- SageMaker -------------------------------------------------------------------------------------

variable "model_name" {
  description = "SageMaker model name."
  type        = string
  default     = "dropout-model"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_name))
    error_message = "model_name must be 1-63 letters, digits or hyphens."
  }
}

variable "endpoint_config_name" {
  description = "SageMaker endpoint configuration name."
  type        = string
  default     = "dropout-config"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_config_name))
    error_message = "endpoint_config_name must be 1-63 letters, digits or hyphens."
  }
}

variable "endpoint_name" {
  description = "SageMaker endpoint name."
  type        = string
  default     = "dropout-inference"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_name))
    error_message = "endpoint_name must be 1-63 letters, digits or hyphens."
  }
}

variable "variant_name" {
  description = "Production variant name."
  type        = string
  default     = "AllTraffic"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.variant_name))
    error_message = "variant_name must be 1-63 letters, digits or hyphens."
  }
}

variable "model_artifact_url" {
  description = "S3 URL of the trained model.tar.gz. Null: the platform is applied without model, endpoint configuration and endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.model_artifact_url == null || can(regex("^s3://[a-z0-9][a-z0-9.-]+[a-z0-9]/.+\\.tar\\.gz$", var.model_artifact_url))
    error_message = "model_artifact_url must be an s3://bucket/key.tar.gz URL or null."
  }
}

variable "inference_image_uri" {
  description = "Inference container image. Null: the regional SageMaker XGBoost framework image (see locals)."
  type        = string
  default     = null
}

variable "model_environment" {
  description = "Environment of the inference container (script mode: SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "endpoint_instance_type" {
  description = "Instance type of the endpoint's production variant."
  type        = string
  default     = "ml.m5.large"
  nullable    = false

  validation {
    condition     = contains(["ml.m5.large", "ml.m5.xlarge", "ml.m5.2xlarge", "ml.c5.large", "ml.c5.xlarge", "ml.c5.2xlarge"], var.endpoint_instance_type)
    error_message = "endpoint_instance_type must be one of: ml.m5.large, ml.m5.xlarge, ml.m5.2xlarge, ml.c5.large, ml.c5.xlarge, ml.c5.2xlarge."
  }
}

variable "endpoint_instance_count" {
  description = "Initial instance count of the production variant (1-10)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.endpoint_instance_count >= 1 && var.endpoint_instance_count <= 10 && floor(var.endpoint_instance_count) == var.endpoint_instance_count
    error_message = "endpoint_instance_count must be a whole number between 1 and 10."
  }
}

variable "data_capture_sampling_percentage" {
  description = "Share of endpoint requests captured to S3 (1-100)."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.data_capture_sampling_percentage >= 1 && var.data_capture_sampling_percentage <= 100
    error_message = "data_capture_sampling_percentage must be between 1 and 100."
  }
}

variable "enable_notebook" {
  description = "Create a SageMaker notebook instance (KMS, private subnet, no direct internet, no root)."
  type        = bool
  default     = false
  nullable    = false
}

variable "enable_autoscaling" {
  description = "Register the endpoint variant with Application Auto Scaling (real AWS)."
  type        = bool
  default     = false
  nullable    = false
}

variable "athena_bytes_scanned_cutoff_per_query" {
  description = "Athena workgroup limit on the data one query over the feature store may scan, in bytes (>= 10 MB)."
  type        = number
  default     = 1073741824
  nullable    = false

  validation {
    condition     = var.athena_bytes_scanned_cutoff_per_query >= 10485760
    error_message = "athena_bytes_scanned_cutoff_per_query must be at least 10485760 (10 MB, Athena's minimum)."
  }
}

variable "retraining_poll_seconds" {
  description = "Seconds the retraining state machine waits between polls of the pipeline execution."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.retraining_poll_seconds >= 1 && var.retraining_poll_seconds <= 3600
    error_message = "retraining_poll_seconds must be between 1 and 3600."
  }
}
