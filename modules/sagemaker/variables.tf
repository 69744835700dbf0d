variable "name_prefix" {
  description = "Prefix for names this module derives (notebook instance, scaling policy)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$", var.name_prefix))
    error_message = "name_prefix must be 1-32 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "model_name" {
  description = "Name of the SageMaker model."
  type        = string
  default     = "dropout-model"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_name))
    error_message = "model_name must be 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "endpoint_config_name" {
  description = "Name of the SageMaker endpoint configuration."
  type        = string
  default     = "dropout-config"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_config_name))
    error_message = "endpoint_config_name must be 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "endpoint_name" {
  description = "Name of the SageMaker endpoint (also names its log group /aws/sagemaker/Endpoints/<endpoint_name>)."
  type        = string
  default     = "dropout-inference"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_name))
    error_message = "endpoint_name must be 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "variant_name" {
  description = "Name of the production variant."
  type        = string
  default     = "AllTraffic"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.variant_name))
    error_message = "variant_name must be 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "model_artifact_url" {
  description = "S3 URI of model.tar.gz. null: the model, endpoint configuration and endpoint are not created (the model package group still is)."
  type        = string
  default     = null

  validation {
    condition     = var.model_artifact_url == null ? true : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$", var.model_artifact_url))
    error_message = "model_artifact_url must be null or an S3 object URI (s3://<bucket>/<key>)."
  }
}

variable "image_uri" {
  description = "Inference container image (ECR URI). Required when model_artifact_url is set."
  type        = string
  default     = null

  validation {
    condition     = var.image_uri == null ? true : can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})?$", var.image_uri))
    error_message = "image_uri must be an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@sha256:digest])."
  }

  validation {
    condition     = var.model_artifact_url == null || var.image_uri != null
    error_message = "image_uri must be set when model_artifact_url is set."
  }
}

variable "model_environment" {
  description = "Environment variables of the inference container (e.g. SAGEMAKER_PROGRAM). With network isolation, code must ship inside the model artifact (SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "execution_role_arn" {
  description = "ARN of the SageMaker execution role used by the model and the notebook instance."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the model's VPC configuration (and the notebook, which uses the first)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 1 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must hold at least one subnet id (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "Security groups for the model's VPC configuration and the notebook."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.security_group_ids) >= 1 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "security_group_ids must hold at least one security group id (sg-...)."
  }
}

variable "endpoint_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the ML storage volumes of the endpoint instances (the kms module's volume key)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.endpoint_kms_key_arn))
    error_message = "endpoint_kms_key_arn must be the ARN of a KMS key (arn:<partition>:kms:<region>:<account>:key/<key-id>)."
  }
}

variable "data_capture" {
  description = "Endpoint data capture (request and response) to S3, encrypted with KMS. Required when model_artifact_url is set."
  type = object({
    enabled             = optional(bool, true)
    destination_s3_uri  = string
    kms_key_arn         = string
    sampling_percentage = optional(number, 100)
    json_content_types  = optional(list(string), ["application/json"])
    csv_content_types   = optional(list(string), ["text/csv"])
  })
  default = null

  validation {
    condition     = var.data_capture == null ? true : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.data_capture.destination_s3_uri))
    error_message = "data_capture.destination_s3_uri must be an S3 URI (s3://<bucket>/<prefix>)."
  }

  validation {
    condition     = var.data_capture == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.data_capture.kms_key_arn))
    error_message = "data_capture.kms_key_arn must be the ARN of a KMS key: captured payloads are encrypted with a CMK."
  }

  validation {
    condition     = var.data_capture == null ? true : (var.data_capture.sampling_percentage >= 1 && var.data_capture.sampling_percentage <= 100 && floor(var.data_capture.sampling_percentage) == var.data_capture.sampling_percentage)
    error_message = "data_capture.sampling_percentage must be a whole number between 1 and 100."
  }

  validation {
    condition     = var.model_artifact_url == null || var.data_capture != null
    error_message = "data_capture must be set when model_artifact_url is set: the endpoint records its inputs and outputs."
  }
}

variable "instance_type" {
  description = "Instance type of the production variant."
  type        = string
  default     = "ml.m5.large"
  nullable    = false

  validation {
    condition = contains([
      "ml.m5.large", "ml.m5.xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge",
      "ml.m6i.large", "ml.m6i.xlarge", "ml.m6i.2xlarge", "ml.m6i.4xlarge",
      "ml.c5.large", "ml.c5.xlarge", "ml.c5.2xlarge", "ml.c5.4xlarge",
      "ml.c6i.large", "ml.c6i.xlarge", "ml.c6i.2xlarge", "ml.c6i.4xlarge",
      "ml.r5.large", "ml.r5.xlarge", "ml.r5.2xlarge",
      "ml.g4dn.xlarge", "ml.g4dn.2xlarge", "ml.g5.xlarge", "ml.g5.2xlarge",
    ], var.instance_type)
    error_message = "instance_type must be one of the qualified ml.* instance types (ml.m5/m6i/c5/c6i large to 4xlarge, ml.r5 large to 2xlarge, ml.g4dn/g5 xlarge and 2xlarge)."
  }

  # CreateEndpointConfig refuses a KmsKeyId for instance types with local NVMe instance storage (their
  # storage is encrypted by the hardware instead); this module always sets endpoint_kms_key_arn.
  validation {
    condition     = var.endpoint_kms_key_arn == null || !can(regex("^ml\\.(g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|m5d|m6id|c5d|c6id|r5d|r6id|inf2|trn1|x2iedn)\\.", var.instance_type))
    error_message = "instance_type has local NVMe instance storage, for which SageMaker rejects a KMS key (endpoint_kms_key_arn is always set): choose an instance type without instance storage (ml.m5, ml.m6i, ml.c5, ml.c6i, ml.r5)."
  }
}

variable "initial_instance_count" {
  description = "Initial number of instances of the production variant."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.initial_instance_count >= 1 && var.initial_instance_count <= 10 && floor(var.initial_instance_count) == var.initial_instance_count
    error_message = "initial_instance_count must be a whole number between 1 and 10."
  }
}

variable "model_package_group_name" {
  description = "Name of the model package group (model registry) that holds versioned, approvable model packages."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_package_group_name))
    error_message = "model_package_group_name must be 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "model_package_group_description" {
  description = "Description of the model package group."
  type        = string
  default     = "Versioned models of the GxP SageMaker platform"
  nullable    = false
}

variable "enable_notebook" {
  description = "Create a notebook instance (VPC only, no direct internet, no root, IMDSv2)."
  type        = bool
  default     = false
  nullable    = false
}

variable "notebook_instance_type" {
  description = "Instance type of the notebook instance."
  type        = string
  default     = "ml.t3.medium"
  nullable    = false

  validation {
    condition     = contains(["ml.t3.medium", "ml.t3.large", "ml.t3.xlarge", "ml.m5.xlarge", "ml.m5.2xlarge", "ml.c5.xlarge", "ml.c5.2xlarge"], var.notebook_instance_type)
    error_message = "notebook_instance_type must be one of ml.t3.medium, ml.t3.large, ml.t3.xlarge, ml.m5.xlarge, ml.m5.2xlarge, ml.c5.xlarge, ml.c5.2xlarge."
  }
}

variable "notebook_volume_size_in_gb" {
  description = "Size of the notebook instance's ML storage volume, in GB."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.notebook_volume_size_in_gb >= 5 && var.notebook_volume_size_in_gb <= 16384 && floor(var.notebook_volume_size_in_gb) == var.notebook_volume_size_in_gb
    error_message = "notebook_volume_size_in_gb must be a whole number between 5 and 16384."
  }
}

variable "notebook_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the notebook's storage volume. Required when enable_notebook is true."
  type        = string
  default     = null

  validation {
    condition     = var.notebook_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.notebook_kms_key_arn))
    error_message = "notebook_kms_key_arn must be null or the ARN of a KMS key."
  }

  validation {
    condition     = !var.enable_notebook || var.notebook_kms_key_arn != null
    error_message = "notebook_kms_key_arn must be set when enable_notebook is true."
  }
}

variable "enable_autoscaling" {
  description = "Target-tracking autoscaling of the production variant on invocations per instance. Takes effect only when the endpoint exists (model_artifact_url set)."
  type        = bool
  default     = false
  nullable    = false
}

variable "autoscaling_min_capacity" {
  description = "Minimum instance count of the production variant under autoscaling."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.autoscaling_min_capacity >= 1 && var.autoscaling_min_capacity <= 10 && floor(var.autoscaling_min_capacity) == var.autoscaling_min_capacity
    error_message = "autoscaling_min_capacity must be a whole number between 1 and 10."
  }
}

variable "autoscaling_max_capacity" {
  description = "Maximum instance count of the production variant under autoscaling."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.autoscaling_max_capacity >= var.autoscaling_min_capacity && var.autoscaling_max_capacity <= 10 && floor(var.autoscaling_max_capacity) == var.autoscaling_max_capacity
    error_message = "autoscaling_max_capacity must be a whole number between autoscaling_min_capacity and 10."
  }
}

variable "autoscaling_target_invocations" {
  description = "Target value of SageMakerVariantInvocationsPerInstance (invocations per instance per minute)."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.autoscaling_target_invocations > 0
    error_message = "autoscaling_target_invocations must be greater than 0."
  }
}

variable "autoscaling_scale_in_cooldown_seconds" {
  description = "Cooldown after a scale-in activity, in seconds."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.autoscaling_scale_in_cooldown_seconds >= 0
    error_message = "autoscaling_scale_in_cooldown_seconds must be 0 or more."
  }
}

variable "autoscaling_scale_out_cooldown_seconds" {
  description = "Cooldown after a scale-out activity, in seconds."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.autoscaling_scale_out_cooldown_seconds >= 0
    error_message = "autoscaling_scale_out_cooldown_seconds must be 0 or more."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
