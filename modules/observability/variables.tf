variable "name_prefix" {
  description = "Prefix for the names of every resource this module creates (lower case letters, digits and hyphens, 2-32 characters)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-32 characters of lower case letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "logs_kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the log groups (the kms module's logs key). Also the default key of the trail and the SNS topic."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key-id>), not an alias or a key id."
  }
}

variable "log_retention_days" {
  description = "Retention in days of every log group of this module. At least 365 (GxP record retention) and one of the values CloudWatch Logs accepts."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "log_retention_days must be >= 365 (one year of log history is the minimum retention)."
  }

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the CloudWatch Logs retention values 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "endpoint_name" {
  description = "Name of the SageMaker endpoint whose log group and alarms this module creates."
  type        = string
  default     = "dropout-inference"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_name))
    error_message = "endpoint_name must be a SageMaker endpoint name: 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "variant_name" {
  description = "Name of the endpoint's production variant the alarms watch."
  type        = string
  default     = "AllTraffic"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.variant_name))
    error_message = "variant_name must be a SageMaker variant name: 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "create_trail" {
  description = "Create the CloudTrail trail, its log group and its delivery role. Set to false only where an organization trail already covers the account."
  type        = bool
  default     = true
  nullable    = false
}

variable "trail_name" {
  description = "Name of the CloudTrail trail. null means \"<name_prefix>-trail\". The trail ARN is arn:<partition>:cloudtrail:<region>:<account>:trail/<trail_name>."
  type        = string
  default     = null

  validation {
    condition     = var.trail_name == null || can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$", var.trail_name))
    error_message = "trail_name must be 3-128 characters of letters, digits, periods, underscores and hyphens, starting and ending with a letter or digit."
  }
}

variable "trail_bucket_name" {
  description = "Name of the S3 bucket receiving the trail's log files (the storage module's evidence bucket). Its bucket policy must already let this trail write."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.trail_bucket_name)) && !strcontains(var.trail_bucket_name, "..")
    error_message = "trail_bucket_name must be a valid S3 bucket name (3-63 lower case letters, digits, dots and hyphens)."
  }
}

variable "trail_s3_key_prefix" {
  description = "Key prefix of the trail's log files in trail_bucket_name (files land under <prefix>/AWSLogs/<account>/). No leading or trailing slash."
  type        = string
  default     = "cloudtrail"
  nullable    = false

  validation {
    condition     = length(var.trail_s3_key_prefix) <= 200 && can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.trail_s3_key_prefix))
    error_message = "trail_s3_key_prefix must be at most 200 characters of letters, digits, '.', '_', '-' and inner '/' separators, without leading or trailing slash."
  }
}

variable "trail_kms_key_arn" {
  description = "ARN of the KMS key encrypting the trail's log files. null means logs_kms_key_arn. The key policy must let cloudtrail.amazonaws.com use it for this trail."
  type        = string
  default     = null

  validation {
    condition     = var.trail_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.trail_kms_key_arn))
    error_message = "trail_kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key-id>)."
  }
}

variable "trail_data_event_s3_bucket_arns" {
  description = "ARNs of S3 buckets whose object-level (data) events the trail records (advanced event selectors) in addition to all management events, except objects under the trail's own delivery prefix."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.trail_data_event_s3_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", arn))])
    error_message = "trail_data_event_s3_bucket_arns must contain S3 bucket ARNs (arn:<partition>:s3:::<bucket>), without object paths."
  }
}

variable "keep_log_groups_on_destroy" {
  description = "Leave the log groups (SageMaker, CloudTrail) in place on destroy (skip_destroy), with their retention: audit logs outlive the platform."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_subscriptions" {
  description = "Who hears the alarms (endpoint and security): SNS subscriptions of the encrypted alarm topic, e.g. { protocol = \"email\", endpoint = \"qa-security@example.com\" }."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for s in var.alarm_subscriptions : contains(["email", "email-json", "https", "sqs", "lambda", "sms"], s.protocol) && length(s.endpoint) > 0])
    error_message = "alarm_subscriptions must hold objects with protocol email, email-json, https, sqs, lambda or sms and a non-empty endpoint."
  }
}

variable "sns_kms_key_arn" {
  description = "ARN of the KMS key encrypting the alarm topic. null means logs_kms_key_arn. The key policy must let cloudwatch.amazonaws.com and cloudtrail.amazonaws.com use it (GenerateDataKey*, Decrypt)."
  type        = string
  default     = null

  validation {
    condition     = var.sns_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.sns_kms_key_arn))
    error_message = "sns_kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key-id>)."
  }
}

variable "alarm_latency_threshold_microseconds" {
  description = "ModelLatency (average, microseconds) above which the latency alarm fires. Default 1 000 000 = 1 s."
  type        = number
  default     = 1000000
  nullable    = false

  validation {
    condition     = var.alarm_latency_threshold_microseconds > 0 && var.alarm_latency_threshold_microseconds <= 60000000
    error_message = "alarm_latency_threshold_microseconds must be greater than 0 and at most 60000000 (the 60 s invocation timeout)."
  }
}

variable "alarm_5xx_threshold" {
  description = "Number of Invocation5XXErrors (sum per period) at or above which the 5XX alarm fires."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.alarm_5xx_threshold >= 1 && floor(var.alarm_5xx_threshold) == var.alarm_5xx_threshold
    error_message = "alarm_5xx_threshold must be a whole number >= 1."
  }
}

variable "alarm_period_seconds" {
  description = "Period in seconds over which the alarm statistics are computed (10, 30 or a multiple of 60)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = contains([10, 30], var.alarm_period_seconds) || (var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0)
    error_message = "alarm_period_seconds must be 10, 30 or a multiple of 60."
  }
}

variable "alarm_evaluation_periods" {
  description = "Number of consecutive periods the threshold must be breached before an alarm fires."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "alarm_evaluation_periods must be a whole number >= 1."
  }
}

variable "tags" {
  description = "Tags applied to every resource this module creates."
  type        = map(string)
  default     = {}
  nullable    = false
}
