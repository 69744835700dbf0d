variable "name_prefix" {
  description = "Prefix for the names of every resource this module creates (lower case letters, digits and hyphens, 2-32 characters)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-32 characters of lower case letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC. Prefix length /16 to /24; one private subnet per availability zone is carved out of it."
  type        = string
  default     = "10.42.0.0/16"
  nullable    = false

  validation {
    condition = (
      can(cidrhost(var.vpc_cidr, 0)) &&
      can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$", var.vpc_cidr)) &&
      try(cidrhost(var.vpc_cidr, 0) == split("/", var.vpc_cidr)[0], false) &&
      try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24, false)
    )
    error_message = "vpc_cidr must be a valid IPv4 network address in CIDR notation (e.g. \"10.42.0.0/16\") with a prefix length between /16 and /24."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix length for each private subnet (4 turns a /16 into /20 subnets). The resulting subnets must not be smaller than /28."
  type        = number
  default     = 4
  nullable    = false

  validation {
    condition     = var.subnet_newbits >= 1 && var.subnet_newbits <= 8 && floor(var.subnet_newbits) == var.subnet_newbits
    error_message = "subnet_newbits must be a whole number between 1 and 8."
  }

  validation {
    condition     = try(tonumber(split("/", var.vpc_cidr)[1]) + var.subnet_newbits <= 28, true)
    error_message = "subnet_newbits added to the prefix length of vpc_cidr must give subnets of /28 or larger (AWS minimum subnet size)."
  }
}

variable "availability_zones" {
  description = "Availability zones (names, e.g. [\"eu-central-1a\", \"eu-central-1b\"]) that receive one private subnet each. At least two distinct zones."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(distinct(var.availability_zones)) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least 2 distinct availability zones, without duplicates."
  }

  validation {
    condition     = alltrue([for az in var.availability_zones : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", az))])
    error_message = "availability_zones must contain availability zone names such as \"eu-central-1a\" (zone IDs like \"euc1-az1\" are not accepted)."
  }

  validation {
    condition     = length(var.availability_zones) <= pow(2, var.subnet_newbits)
    error_message = "availability_zones lists more zones than subnet_newbits can address (at most 2^subnet_newbits subnets)."
  }
}

variable "keep_log_groups_on_destroy" {
  description = "Leave the flow log group in place on destroy (skip_destroy), with its retention."
  type        = bool
  default     = true
  nullable    = false
}

variable "interface_endpoint_services" {
  description = "Services reached through interface VPC endpoints (private DNS on), as the suffix of com.amazonaws.<region>.<service>. S3 always gets a gateway endpoint and must not be listed here."
  type        = list(string)
  default     = ["sagemaker.api", "sagemaker.runtime", "logs", "sts", "kms", "ecr.api", "ecr.dkr"]
  nullable    = false

  validation {
    condition = (
      length(var.interface_endpoint_services) == length(distinct(var.interface_endpoint_services)) &&
      alltrue([for s in var.interface_endpoint_services : can(regex("^[a-z0-9]+([.-][a-z0-9]+)*$", s)) && s != "s3"])
    )
    error_message = "interface_endpoint_services must be distinct service suffixes such as \"sagemaker.api\" (lower case, dots and hyphens); \"s3\" is served by the gateway endpoint."
  }
}

variable "s3_endpoint_bucket_arns" {
  description = "ARNs of the S3 buckets (arn:<partition>:s3:::<name>) that the S3 gateway endpoint's policy lets this account's principals reach from the VPC; every other bucket is implicitly denied through the endpoint (besides the Amazon ECR image layer bucket of the region)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.s3_endpoint_bucket_arns) > 0 && alltrue([for a in var.s3_endpoint_bucket_arns : can(regex("^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", a))])
    error_message = "s3_endpoint_bucket_arns must list at least one bucket ARN such as arn:aws:s3:::my-bucket (no key, no wildcard)."
  }
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group in days. At least 365 (GxP record retention) and one of the values CloudWatch Logs accepts."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.flow_log_retention_days >= 365
    error_message = "flow_log_retention_days must be >= 365 (one year of flow log history is the minimum retention)."
  }

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of the CloudWatch Logs retention values 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "flow_log_kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the flow log group (the kms module's logs key; its policy must let logs.<region>.amazonaws.com use it)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.flow_log_kms_key_arn))
    error_message = "flow_log_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key-id>), not an alias or a key id."
  }
}

variable "flow_log_max_aggregation_interval" {
  description = "Maximum interval in seconds during which a flow of packets is captured into one flow log record (60 or 600)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = contains([60, 600], var.flow_log_max_aggregation_interval)
    error_message = "flow_log_max_aggregation_interval must be 60 or 600."
  }
}

variable "tags" {
  description = "Tags applied to every resource this module creates."
  type        = map(string)
  default     = {}
  nullable    = false
}
