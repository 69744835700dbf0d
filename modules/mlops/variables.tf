variable "name_prefix" {
  description = "Prefix of the names this module creates (pipeline, roles, state machine, alarms)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$", var.name_prefix))
    error_message = "name_prefix must be 1-32 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "data_bucket_name" {
  description = "Data lake bucket: pipeline input (processed/ml/), code, outputs and reports (models/pipelines/)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be a valid S3 bucket name."
  }
}

variable "input_prefix" {
  description = "Key prefix of the prepared dataset the pipeline splits (as `make train` uploads it)."
  type        = string
  default     = "processed/ml/"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.()'-]+(/[A-Za-z0-9!_.()'-]+)*/$", var.input_prefix))
    error_message = "input_prefix must look like \"processed/ml/\": no leading \"/\", no \"*\", ending with \"/\"."
  }
}

variable "pipeline_prefix" {
  description = "Key prefix of the pipeline's code and outputs; must lie under a prefix the execution role may write."
  type        = string
  default     = "models/pipelines/"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.()'-]+(/[A-Za-z0-9!_.()'-]+)*/$", var.pipeline_prefix))
    error_message = "pipeline_prefix must look like \"models/pipelines/\": no leading \"/\", no \"*\", ending with \"/\"."
  }
}

variable "execution_role_arn" {
  description = "SageMaker execution role the pipeline's jobs run as (passed by the pipeline role)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN."
  }
}

variable "execution_role_name" {
  description = "Name of the execution role (this module grants it the processing job log group)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.execution_role_name))
    error_message = "execution_role_name must be an IAM role name."
  }
}

variable "data_kms_key_arn" {
  description = "KMS key of the data lake: processing outputs (splits, evaluation) and the pipeline role's reads."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.data_kms_key_arn))
    error_message = "data_kms_key_arn must be a KMS key ARN."
  }
}

variable "model_kms_key_arn" {
  description = "KMS key of model artifacts (training output)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.model_kms_key_arn))
    error_message = "model_kms_key_arn must be a KMS key ARN."
  }
}

variable "volume_kms_key_arn" {
  description = "KMS key of the ML storage volumes attached to processing and training instances."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.volume_kms_key_arn))
    error_message = "volume_kms_key_arn must be a KMS key ARN."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key of the CloudWatch log groups this module creates."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the log groups this module creates."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ..., 3653)."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the pipeline's processing and training jobs (VPC-only)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "subnet_ids must hold at least one subnet id (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the pipeline's processing and training jobs."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.security_group_ids) > 0 && alltrue([for g in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", g))])
    error_message = "security_group_ids must hold at least one security group id (sg-...)."
  }
}

variable "image_uri" {
  description = "SageMaker XGBoost framework image (processing and training; it carries numpy and xgboost)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+[:@].+$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or digest."
  }
}

variable "inference_image_uri" {
  description = "Image registered with each model package version for serving."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+[:@].+$", var.inference_image_uri))
    error_message = "inference_image_uri must be an ECR image URI with a tag or digest."
  }
}

variable "image_repository_arns" {
  description = "ECR repositories the pipeline's images come from (kept for the roles that pull them)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "model_package_group_name" {
  description = "Model package group the pipeline registers versions in (PendingManualApproval)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_package_group_name))
    error_message = "model_package_group_name must be 1-63 letters, digits and hyphens."
  }
}

variable "auc_threshold" {
  description = "Default of the pipeline parameter AucThreshold (holdout ROC AUC at least this); the specification's figure."
  type        = number
  default     = 0.75
  nullable    = false

  validation {
    condition     = var.auc_threshold > 0.5 && var.auc_threshold < 1
    error_message = "auc_threshold must lie strictly between 0.5 and 1."
  }
}

variable "max_calibration_error" {
  description = "Default of the pipeline parameter MaxCalibrationError (expected calibration error at most this)."
  type        = number
  default     = 0.1
  nullable    = false

  validation {
    condition     = var.max_calibration_error > 0 && var.max_calibration_error < 0.5
    error_message = "max_calibration_error must lie strictly between 0 and 0.5."
  }
}

variable "hyperparameters" {
  description = "The seed's XGBoost hyperparameters of the pipeline's training step."
  type        = map(string)
  default     = { num_round = "100", max_depth = "3", eta = "0.1", seed = "42" }
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.hyperparameters) : !startswith(k, "sagemaker_")])
    error_message = "hyperparameters must not set sagemaker_* keys: the pipeline sets the script-mode entry point itself."
  }
}

variable "tags" {
  description = "Tags of every resource this module creates."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "endpoint_name" {
  description = "Endpoint whose captured traffic the drift analysis reads (dimension of its metrics)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_name))
    error_message = "endpoint_name must be 1-63 letters, digits and hyphens."
  }
}

variable "monitored_features" {
  description = "The model's feature names the drift alarms watch (one alarm each)."
  type        = list(string)
  default     = ["age", "prior_dropout", "missed_visit_rate"]
  nullable    = false

  validation {
    condition     = length(var.monitored_features) > 0 && alltrue([for f in var.monitored_features : can(regex("^[a-z][a-z0-9_]*$", f))])
    error_message = "monitored_features must hold at least one feature name (lower case, digits, underscores)."
  }
}

variable "drift_threshold" {
  description = "Drift distance above which a feature's alarm fires (the specification's drift_distance_max)."
  type        = number
  default     = 0.2
  nullable    = false

  validation {
    condition     = var.drift_threshold > 0 && var.drift_threshold < 1
    error_message = "drift_threshold must lie strictly between 0 and 1."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic (KMS-encrypted) the drift alarms and the retraining outcome notify."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "retraining_poll_seconds" {
  description = "Seconds the retraining state machine waits between DescribePipelineExecution calls."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.retraining_poll_seconds >= 1 && var.retraining_poll_seconds <= 3600
    error_message = "retraining_poll_seconds must be between 1 and 3600."
  }
}

variable "retraining_schedule" {
  description = "EventBridge schedule expression that also starts the retraining (besides a drift alarm)."
  type        = string
  default     = "rate(7 days)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.retraining_schedule))
    error_message = "retraining_schedule must be an EventBridge rate(...) or cron(...) expression."
  }
}

variable "enable_retraining_schedule" {
  description = "Whether the schedule starts the retraining (the drift alarm always does)."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_model_monitor" {
  description = "Also create SageMaker Model Monitor's data-quality job definition and hourly schedule over the same baseline (only for accounts that still have Model Monitor; off by default)."
  type        = bool
  default     = false
  nullable    = false
}

variable "model_monitor_image_uri" {
  description = "Model Monitor analyzer image (sagemaker-model-monitor-analyzer of the region); required when enable_model_monitor."
  type        = string
  default     = null

  validation {
    condition     = var.model_monitor_image_uri == null || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+[:@].+$", var.model_monitor_image_uri))
    error_message = "model_monitor_image_uri must be an ECR image URI with a tag or digest."
  }
}
