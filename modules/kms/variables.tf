variable "name_prefix" {
  description = "Prefix for every key alias (alias/<name_prefix>-<purpose>) and description."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$", var.name_prefix)) && !startswith(lower(var.name_prefix), "aws")
    error_message = "name_prefix must be 1-64 characters of letters, digits, '-' or '_', start with a letter or digit and not start with \"aws\" (reserved alias prefix)."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes (7..30 days)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number between 7 and 30."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic rotation period of the symmetric keys (90..2560 days)."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560 && floor(var.rotation_period_in_days) == var.rotation_period_in_days
    error_message = "rotation_period_in_days must be a whole number between 90 and 2560."
  }
}

variable "enable_key_rotation" {
  description = "Automatic rotation of the symmetric keys. GxP policy: must stay true (the input exists so that a wrong value fails at plan)."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.enable_key_rotation
    error_message = "enable_key_rotation must be true: the data, volume, model and logs keys rotate automatically by policy."
  }
}

variable "key_administrator_arns" {
  description = "IAM principals that administer the keys. Empty: the account root administers them (IAM policies in the account decide who may). When set, only these principals get administrative actions; the principal running Terraform must be one of them."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", a))])
    error_message = "key_administrator_arns must contain only IAM role, user or account-root ARNs (no \"*\")."
  }
}

variable "key_user_role_arns" {
  description = "IAM principals allowed to use the data, volume, model and logs keys directly in the key policy (e.g. the SageMaker execution role). The principals must exist before the keys are created. Empty: use is granted only through IAM policies of the account."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.key_user_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "key_user_role_arns must contain only IAM role or user ARNs (no \"*\")."
  }
}

variable "signing_key_user_arns" {
  description = "IAM principals allowed to Sign/Verify/GetPublicKey with the evidence signing key directly in its key policy. Empty: granted only through IAM policies of the account."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.signing_key_user_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "signing_key_user_arns must contain only IAM role or user ARNs (no \"*\")."
  }
}

variable "cloudtrail_trail_arns" {
  description = "CloudTrail trail ARNs allowed to encrypt with the logs key (aws:SourceArn). Empty: any trail of this account in this region (arn:<partition>:cloudtrail:<region>:<account>:trail/*)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.cloudtrail_trail_arns : can(regex("^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/[A-Za-z0-9._-]+$", a))])
    error_message = "cloudtrail_trail_arns must contain only CloudTrail trail ARNs (arn:<partition>:cloudtrail:<region>:<account>:trail/<name>)."
  }
}

variable "multi_region" {
  description = "Create multi-Region primary keys. Off by default: the platform is single-region."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags applied to every key."
  type        = map(string)
  default     = {}
  nullable    = false
}
