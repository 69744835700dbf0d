variable "name_prefix" {
  description = "Prefix of every role and policy name (<name_prefix>-sagemaker-execution, -auditor, -validation, -data-scientist, -approver, -platform-read-only)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9+=,.@_-]{0,41}$", var.name_prefix))
    error_message = "name_prefix must be 1-42 characters of letters, digits or +=,.@_- and start with a letter or digit (role names are limited to 64 characters)."
  }
}

variable "data_bucket_arn" {
  description = "ARN of the data lake bucket. The execution role reads and writes only under data_read_prefixes / data_write_prefixes."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_arn))
    error_message = "data_bucket_arn must be an S3 bucket ARN (arn:<partition>:s3:::<bucket-name>), without a key or wildcard."
  }
}

variable "evidence_bucket_arn" {
  description = "ARN of the Object Lock evidence bucket. Auditor and validation roles read it; only the validation role writes to it."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.evidence_bucket_arn))
    error_message = "evidence_bucket_arn must be an S3 bucket ARN (arn:<partition>:s3:::<bucket-name>), without a key or wildcard."
  }
}

variable "kms_key_arns" {
  description = "ARNs of the symmetric KMS keys the platform encrypts with (data, volume, model, logs). The execution role uses them; auditor and validation roles use them only through S3."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.kms_key_arns) > 0 && alltrue([for a in var.kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", a))])
    error_message = "kms_key_arns must contain at least one KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>); aliases and wildcards are not accepted."
  }
}

variable "signing_key_arn" {
  description = "ARN of the asymmetric evidence signing key. When set, the validation role may Sign / Verify / GetPublicKey with it. Null: no signing permission."
  type        = string
  default     = null

  validation {
    condition     = var.signing_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.signing_key_arn))
    error_message = "signing_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "volume_key_arn" {
  description = "KMS key every ML storage volume of a data scientist's job and endpoint configuration must name (sagemaker:VolumeKmsKey)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.volume_key_arn))
    error_message = "volume_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "model_key_arn" {
  description = "KMS key every output of a data scientist's training or processing job must name (sagemaker:OutputKmsKey)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.model_key_arn))
    error_message = "model_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "approvals_key_arn" {
  description = "ARN of the asymmetric key for people's signatures. When set, the approver role may Sign / Verify / GetPublicKey with it. Null: no signing permission."
  type        = string
  default     = null

  validation {
    condition     = var.approvals_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.approvals_key_arn))
    error_message = "approvals_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "access_log_bucket_arn" {
  description = "ARN of the S3 server access log bucket, whose configuration the personas may read. Null: not readable."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket_arn == null || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket_arn))
    error_message = "access_log_bucket_arn must be null or an S3 bucket ARN (arn:<partition>:s3:::<bucket-name>)."
  }
}

variable "vpc_id" {
  description = "VPC in which SageMaker creates network interfaces (condition ec2:Vpc on the ENI permissions)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-xxxxxxxx)."
  }
}

variable "subnet_ids" {
  description = "Private subnets in which SageMaker may create network interfaces."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "subnet_ids must contain at least one subnet id (subnet-xxxxxxxx)."
  }
}

variable "security_group_ids" {
  description = "Security groups SageMaker may attach to the network interfaces it creates."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.security_group_ids) > 0 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "security_group_ids must contain at least one security group id (sg-xxxxxxxx)."
  }
}

variable "sagemaker_image_repository_arns" {
  description = "ECR repositories the execution role may pull images from. Empty: the regional SageMaker XGBoost repository (arn:<partition>:ecr:<region>:<registry>:repository/sagemaker-xgboost)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.sagemaker_image_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9][a-z0-9._/-]*$", a))])
    error_message = "sagemaker_image_repository_arns must contain only ECR repository ARNs (arn:<partition>:ecr:<region>:<account>:repository/<name>), no wildcards."
  }
}

variable "model_package_group_name" {
  description = "SageMaker model package group the execution role may register model versions in."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_package_group_name))
    error_message = "model_package_group_name must be 1-63 letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "endpoint_name" {
  description = "SageMaker endpoint the validation role may invoke (sagemaker:InvokeEndpoint) and whose log group it may read."
  type        = string
  default     = "dropout-inference"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_name))
    error_message = "endpoint_name must be 1-63 letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "data_read_prefixes" {
  description = "Key prefixes of the data bucket the execution role may list and read (training input, model artifacts)."
  type        = list(string)
  default     = ["processed/ml/", "models/"]
  nullable    = false

  validation {
    condition     = length(var.data_read_prefixes) > 0 && alltrue([for p in var.data_read_prefixes : can(regex("^[A-Za-z0-9!_.()'-]+(/[A-Za-z0-9!_.()'-]+)*/$", p))])
    error_message = "data_read_prefixes must contain at least one prefix like \"processed/ml/\": no leading \"/\", no \"*\", ending with \"/\"."
  }
}

variable "data_write_prefixes" {
  description = "Key prefixes of the data bucket the execution role may write (model output, endpoint data capture). The data capture destination must lie under one of them."
  type        = list(string)
  default     = ["models/"]
  nullable    = false

  validation {
    condition     = length(var.data_write_prefixes) > 0 && alltrue([for p in var.data_write_prefixes : can(regex("^[A-Za-z0-9!_.()'-]+(/[A-Za-z0-9!_.()'-]+)*/$", p))])
    error_message = "data_write_prefixes must contain at least one prefix like \"models/\": no leading \"/\", no \"*\", ending with \"/\"."
  }
}

variable "readable_log_group_prefixes" {
  description = "Log group name prefixes the auditor and validation roles may read (describe streams, get and filter events)."
  type        = list(string)
  default     = ["/aws/sagemaker/", "/aws/cloudtrail/", "/aws/vpc/"]
  nullable    = false

  validation {
    condition     = length(var.readable_log_group_prefixes) > 0 && alltrue([for p in var.readable_log_group_prefixes : can(regex("^/?[A-Za-z0-9_./#-]+$", p))])
    error_message = "readable_log_group_prefixes must contain at least one log group name prefix (letters, digits, _ . / # -), no \"*\"."
  }
}

variable "trusted_principal_arns_for_auditor" {
  description = "IAM roles or users allowed to assume the read-only auditor role (at least one; never the account root)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.trusted_principal_arns_for_auditor) > 0 && alltrue([for a in var.trusted_principal_arns_for_auditor : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "trusted_principal_arns_for_auditor must name at least one IAM role or user ARN (not the account root, no \"*\")."
  }
}

variable "trusted_principal_arns_for_validation" {
  description = "IAM roles or users allowed to assume the qualification (validation) role (at least one; never the account root)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.trusted_principal_arns_for_validation) > 0 && alltrue([for a in var.trusted_principal_arns_for_validation : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "trusted_principal_arns_for_validation must name at least one IAM role or user ARN (not the account root, no \"*\")."
  }
}

variable "trusted_principal_arns_for_data_scientist" {
  description = "IAM roles or users allowed to assume the data scientist role (at least one; never the account root)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.trusted_principal_arns_for_data_scientist) > 0 && alltrue([for a in var.trusted_principal_arns_for_data_scientist : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "trusted_principal_arns_for_data_scientist must name at least one IAM role or user ARN (not the account root, no \"*\")."
  }
}

variable "trusted_principal_arns_for_approver" {
  description = "IAM roles or users allowed to assume the approver role (at least one; never the account root)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.trusted_principal_arns_for_approver) > 0 && alltrue([for a in var.trusted_principal_arns_for_approver : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "trusted_principal_arns_for_approver must name at least one IAM role or user ARN (not the account root, no \"*\")."
  }
}

variable "auditor_require_mfa" {
  description = "Require aws:MultiFactorAuthPresent when assuming the auditor role (human auditors). Turn off only where no MFA exists (the embedded local AWS)."
  type        = bool
  default     = true
  nullable    = false
}

variable "max_session_duration" {
  description = "Maximum session duration of the persona roles (auditor, validation, data scientist, approver), in seconds (3600..43200)."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "permissions_boundary_arn" {
  description = "Optional permissions boundary attached to every role of this module."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "tags" {
  description = "Tags applied to every role and policy."
  type        = map(string)
  default     = {}
  nullable    = false
}
