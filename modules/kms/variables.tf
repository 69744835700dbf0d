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
  description = "IAM principals that administer the keys (policy, aliases, tags, enable, cancel deletion), besides the principal running Terraform, which is always one (CreateKey's lockout check). They must exist when the keys are created. Key administrators do not use the keys."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "key_administrator_arns must contain only IAM role or user ARNs (not the account root, no \"*\")."
  }
}

variable "break_glass_principal_arns" {
  description = "IAM principals that may schedule deletion of, or disable, a protected key (besides the principal running Terraform). An explicit Deny in every protected key policy binds everyone else, administrators and the account root included."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.break_glass_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))])
    error_message = "break_glass_principal_arns must contain only IAM role or user ARNs (not the account root, no \"*\")."
  }
}

variable "deletion_protected_purposes" {
  description = "Keys whose policy denies kms:ScheduleKeyDeletion and kms:DisableKey to all but the break-glass principals."
  type        = list(string)
  default     = ["data", "volume", "model", "logs", "signing", "approvals"]
  nullable    = false

  validation {
    condition     = alltrue([for p in var.deletion_protected_purposes : contains(["data", "volume", "model", "logs", "signing", "approvals"], p)]) && length(setintersection(toset(var.deletion_protected_purposes), toset(["data", "logs", "signing"]))) == 3
    error_message = "deletion_protected_purposes must name only data, volume, model, logs, signing, approvals and must include data, logs and signing (evidence, audit logs and evidence signatures)."
  }
}

variable "enable_default_policy" {
  description = "Add AWS's default key policy statement (kms:* for the account root, so IAM policies alone decide). Off: only the named administrators administer and only the named users use the keys."
  type        = bool
  default     = false
  nullable    = false
}

variable "key_user_arns" {
  description = "Users of each key by purpose (data, volume, model, logs, signing, approvals): IAM role or user ARNs, matched with aws:PrincipalArn so that roles created in the same configuration need not exist first. Their IAM policies must allow the use too."
  type        = map(list(string))
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for p in keys(var.key_user_arns) : contains(["data", "volume", "model", "logs", "signing", "approvals"], p)])
    error_message = "key_user_arns keys must be purposes: data, volume, model, logs, signing, approvals."
  }

  validation {
    condition     = alltrue(flatten([for p, arns in var.key_user_arns : [for a in arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", a))]]))
    error_message = "key_user_arns must contain only IAM role or user ARNs (no \"*\", not the account root)."
  }
}

variable "signing_key_spec" {
  description = "Key spec of the two asymmetric signing keys (evidence, approvals). RSA only: evidence packages are verified with RSASSA-PSS."
  type        = string
  default     = "RSA_4096"
  nullable    = false

  validation {
    condition     = contains(["RSA_3072", "RSA_4096"], var.signing_key_spec)
    error_message = "signing_key_spec must be RSA_3072 or RSA_4096 (RSA_2048 is too weak for signatures kept ten years; verification uses RSASSA-PSS)."
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
