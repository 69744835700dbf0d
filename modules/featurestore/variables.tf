variable "name_prefix" {
  description = "Prefix of every resource name (letters, digits and hyphens)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "feature_group_name" {
  description = "Name of the feature group of the subjects (default: <name_prefix>-subjects)."
  type        = string
  default     = null

  validation {
    condition     = var.feature_group_name == null || can(regex("^[a-zA-Z0-9]([-a-zA-Z0-9]){0,62}$", var.feature_group_name))
    error_message = "feature_group_name must be 1-63 letters, digits or hyphens, starting with a letter or digit (SageMaker's rule)."
  }
}

variable "record_identifier_name" {
  description = "Feature that identifies a record (one record per subject)."
  type        = string
  default     = "subject_id"
  nullable    = false
}

variable "event_time_name" {
  description = "Feature that holds the record's event time (ISO 8601 string)."
  type        = string
  default     = "event_time"
  nullable    = false
}

variable "features" {
  description = "The model's features and label in the seed's order, with their Feature Store types (Integral, Fractional, String). The record identifier and event time are added."
  type = list(object({
    name = string
    type = string
  }))
  default = [
    { name = "age", type = "Integral" },
    { name = "prior_dropout", type = "Integral" },
    { name = "missed_visit_rate", type = "Fractional" },
    { name = "dropout", type = "Integral" },
  ]
  nullable = false

  validation {
    condition     = length(var.features) > 0 && alltrue([for f in var.features : contains(["Integral", "Fractional", "String"], f.type)])
    error_message = "features must not be empty and each type must be Integral, Fractional or String."
  }

  validation {
    condition     = alltrue([for f in var.features : can(regex("^[a-zA-Z0-9]([-_a-zA-Z0-9]){0,63}$", f.name))])
    error_message = "features: each name must be 1-64 letters, digits, hyphens or underscores, starting with a letter or digit."
  }
}

variable "data_lake_bucket_name" {
  description = "Data lake bucket: the offline store and Athena's query results live under prefixes of it."
  type        = string
  nullable    = false
}

variable "offline_store_prefix" {
  description = "Key prefix of the offline store in the data lake."
  type        = string
  default     = "feature-store"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*$", var.offline_store_prefix))
    error_message = "offline_store_prefix must be a single lowercase path segment (letters, digits, - and _)."
  }
}

variable "athena_results_prefix" {
  description = "Key prefix of Athena's query results in the data lake."
  type        = string
  default     = "athena-results"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*$", var.athena_results_prefix))
    error_message = "athena_results_prefix must be a single lowercase path segment (letters, digits, - and _)."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the offline store, the online store and Athena's results (data at rest)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a customer-managed KMS key (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "enable_online_store" {
  description = "Keep an online store (low-latency reads of each subject's latest record)."
  type        = bool
  default     = true
  nullable    = false
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena workgroup limit on the data one query may scan, in bytes (Athena's minimum is 10 MB)."
  type        = number
  default     = 1073741824
  nullable    = false

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760
    error_message = "bytes_scanned_cutoff_per_query must be at least 10485760 (10 MB, Athena's minimum)."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
