# Root configuration: composes the platform's modules. Target-neutral: the same code serves the
# embedded emulator and real AWS (the environment picks the endpoint).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# Zones this account can use in the region ("a and b" do not exist everywhere, e.g. ap-northeast-1).
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:only the first two zone names in sorted order are taken, and subnets are keyed by zone name: a zone AWS adds later does not move a subnet
  state = "available"
}

# The principal that applies the platform (its source role when it is an assumed-role session).
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

# The regional SageMaker XGBoost framework image (the provider's own region -> registry table; no API call).
data "aws_sagemaker_prebuilt_ecr_image" "xgboost" {
  repository_name = "sagemaker-xgboost"
  image_tag       = local.xgboost_version
}

locals {
  account_id      = data.aws_caller_identity.current.account_id
  xgboost_version = "1.7-1"

  tags = merge(
    {
      Project     = "sagemaker-gxp-platform"
      Environment = var.environment
      ManagedBy   = "terraform"
      GxP         = "true"
    },
    var.tags,
  )

  # The first two available zones of the region, or the given ones (the network module checks that they
  # are available).
  azs = length(var.availability_zones) > 0 ? var.availability_zones : slice(sort(data.aws_availability_zones.available.names), 0, 2)

  data_lake_bucket_name  = coalesce(var.data_lake_bucket_name, "${var.name_prefix}-datalake-${local.account_id}")
  evidence_bucket_name   = coalesce(var.evidence_bucket_name, "${var.name_prefix}-evidence-${local.account_id}")
  access_log_bucket_name = coalesce(var.access_log_bucket_name, "${var.name_prefix}-access-logs-${local.account_id}")

  trail_name               = "${var.name_prefix}-trail"
  trail_arn                = "arn:${data.aws_partition.current.partition}:cloudtrail:${var.region}:${local.account_id}:trail/${local.trail_name}"
  model_package_group_name = "${var.name_prefix}-dropout-models"

  # Who may assume each persona: named principals from variables, never the whole account. Only
  # environment local (persona_trust_deployer, validated) adds the deploying identity.
  deployer_arn   = data.aws_iam_session_context.current.issuer_arn
  trust_deployer = var.persona_trust_deployer ? [local.deployer_arn] : []
  persona_principals = {
    auditor        = distinct(concat(var.auditor_principal_arns, local.trust_deployer))
    validation     = distinct(concat(var.validation_principal_arns, local.trust_deployer))
    data_scientist = distinct(concat(var.data_scientist_principal_arns, local.trust_deployer))
    approver       = distinct(concat(var.approver_principal_arns, local.trust_deployer))
  }

  # Role ARNs from their names (the iam module's naming), so that the key policies can name their users
  # before the roles exist: the roles' policies name the keys, the keys' policies name the roles.
  role_arn = {
    for k, n in {
      execution      = "sagemaker-execution"
      auditor        = "auditor"
      validation     = "validation"
      data_scientist = "data-scientist"
      approver       = "approver"
      pipeline       = "pipeline"
      feature_store  = "feature-store"
    } : k => "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:role/${var.name_prefix}-${n}"
  }

  # Who uses which key (KMS checks the key policy AND the caller's IAM policy). The deploying identity
  # uploads data, trains and deploys, so it uses the data, volume and model keys; it signs nothing.
  key_users = {
    data      = [local.deployer_arn, local.role_arn.execution, local.role_arn.validation, local.role_arn.auditor, local.role_arn.data_scientist, local.role_arn.approver]
    volume    = [local.deployer_arn, local.role_arn.execution, local.role_arn.data_scientist]
    model     = [local.deployer_arn, local.role_arn.execution, local.role_arn.validation, local.role_arn.auditor, local.role_arn.data_scientist]
    logs      = [local.role_arn.validation, local.role_arn.auditor]
    signing   = [local.role_arn.validation]
    approvals = distinct(concat([local.role_arn.approver], var.reviewer_principal_arns, local.trust_deployer))
  }

  image_repository_arn = "arn:${data.aws_partition.current.partition}:ecr:${var.region}:${data.aws_sagemaker_prebuilt_ecr_image.xgboost.registry_id}:repository/sagemaker-xgboost"
  inference_image_uri  = coalesce(var.inference_image_uri, data.aws_sagemaker_prebuilt_ecr_image.xgboost.registry_path)
}

module "kms" {
  source = "../modules/kms"

  name_prefix                = var.name_prefix
  enable_key_rotation        = var.enable_key_rotation
  deletion_window_in_days    = var.kms_deletion_window_in_days
  cloudtrail_trail_arns      = [local.trail_arn]
  key_administrator_arns     = var.key_administrator_arns
  break_glass_principal_arns = var.break_glass_principal_arns
  key_user_arns              = local.key_users
  tags                       = local.tags
}

module "network" {
  source = "../modules/network"

  name_prefix                = var.name_prefix
  vpc_cidr                   = var.vpc_cidr
  availability_zones         = local.azs
  flow_log_retention_days    = var.log_retention_days
  flow_log_kms_key_arn       = module.kms.logs_key_arn
  keep_log_groups_on_destroy = var.keep_log_groups_on_destroy
  # The VPC's S3 traffic (training data, model artifacts, data capture) stays within the data lake (plus
  # the region's ECR image layers), for this account's principals only.
  s3_endpoint_bucket_arns = [module.storage.data_lake_bucket_arn]
  tags                    = local.tags
}

module "storage" {
  source = "../modules/storage"

  data_lake_bucket_name      = local.data_lake_bucket_name
  evidence_bucket_name       = local.evidence_bucket_name
  access_log_bucket_name     = local.access_log_bucket_name
  kms_key_arn                = module.kms.data_key_arn
  object_lock_mode           = var.object_lock_mode
  object_lock_retention_days = var.object_lock_retention_days
  force_destroy              = var.force_destroy_buckets
  cloudtrail_trail_arn       = local.trail_arn
  tags                       = local.tags
}

module "iam" {
  source = "../modules/iam"

  name_prefix                               = var.name_prefix
  data_bucket_arn                           = "arn:${data.aws_partition.current.partition}:s3:::${local.data_lake_bucket_name}"
  evidence_bucket_arn                       = "arn:${data.aws_partition.current.partition}:s3:::${local.evidence_bucket_name}"
  kms_key_arns                              = module.kms.symmetric_key_arns
  signing_key_arn                           = module.kms.signing_key_arn
  approvals_key_arn                         = module.kms.approvals_key_arn
  volume_key_arn                            = module.kms.volume_key_arn
  model_key_arn                             = module.kms.model_key_arn
  access_log_bucket_arn                     = "arn:${data.aws_partition.current.partition}:s3:::${local.access_log_bucket_name}"
  endpoint_name                             = var.endpoint_name
  vpc_id                                    = module.network.vpc_id
  subnet_ids                                = module.network.private_subnet_ids
  security_group_ids                        = [module.network.sagemaker_security_group_id]
  sagemaker_image_repository_arns           = [local.image_repository_arn]
  model_package_group_name                  = local.model_package_group_name
  trusted_principal_arns_for_auditor        = local.persona_principals.auditor
  trusted_principal_arns_for_validation     = local.persona_principals.validation
  trusted_principal_arns_for_data_scientist = local.persona_principals.data_scientist
  trusted_principal_arns_for_approver       = local.persona_principals.approver
  auditor_require_mfa                       = var.auditor_require_mfa
  tags                                      = local.tags
}

module "observability" {
  source = "../modules/observability"

  name_prefix         = var.name_prefix
  logs_kms_key_arn    = module.kms.logs_key_arn
  log_retention_days  = var.log_retention_days
  endpoint_name       = var.endpoint_name
  variant_name        = var.variant_name
  trail_name          = local.trail_name
  trail_bucket_name   = module.storage.evidence_bucket_id
  trail_s3_key_prefix = "cloudtrail"
  trail_kms_key_arn   = module.kms.logs_key_arn
  # Object-level reads, writes and deletes of training data and evidence (not the trail's deliveries).
  trail_data_event_s3_bucket_arns = [for b in [local.data_lake_bucket_name, local.evidence_bucket_name] : "arn:${data.aws_partition.current.partition}:s3:::${b}"]
  keep_log_groups_on_destroy      = var.keep_log_groups_on_destroy
  alarm_subscriptions             = var.alarm_subscriptions
  tags                            = local.tags

  # CreateTrail checks the evidence bucket's policy: module.storage.evidence_bucket_id is only known
  # once that policy is in place, so the trail waits for it without a module-wide depends_on.
}

module "sagemaker" {
  source = "../modules/sagemaker"

  name_prefix          = var.name_prefix
  model_name           = var.model_name
  endpoint_config_name = var.endpoint_config_name
  endpoint_name        = var.endpoint_name
  variant_name         = var.variant_name
  model_artifact_url   = var.model_artifact_url
  image_uri            = local.inference_image_uri
  model_environment    = var.model_environment
  execution_role_arn   = module.iam.execution_role_arn
  subnet_ids           = module.network.private_subnet_ids
  security_group_ids   = [module.network.sagemaker_security_group_id]
  # ML storage volumes use the volume key; data capture lands in the data lake with the data key.
  endpoint_kms_key_arn = module.kms.volume_key_arn
  data_capture = {
    enabled             = true
    destination_s3_uri  = module.storage.data_lake_prefix_uris.data_capture
    kms_key_arn         = module.kms.data_key_arn
    sampling_percentage = var.data_capture_sampling_percentage
  }
  instance_type            = var.endpoint_instance_type
  initial_instance_count   = var.endpoint_instance_count
  model_package_group_name = local.model_package_group_name
  enable_notebook          = var.enable_notebook
  notebook_kms_key_arn     = module.kms.volume_key_arn
  enable_autoscaling       = var.enable_autoscaling
  tags                     = local.tags

  # The endpoint's log group must exist (with KMS and retention) before the endpoint writes to it.
  depends_on = [module.observability]
}

# MLOps: the model's SageMaker pipeline (split and hash, train, evaluate, criterion, registration for
# a person's approval) with its own least-privilege role.
module "mlops" {
  source = "../modules/mlops"

  name_prefix              = var.name_prefix
  data_bucket_name         = module.storage.data_lake_bucket_id
  execution_role_arn       = module.iam.execution_role_arn
  execution_role_name      = module.iam.execution_role_name
  data_kms_key_arn         = module.kms.data_key_arn
  model_kms_key_arn        = module.kms.model_key_arn
  volume_kms_key_arn       = module.kms.volume_key_arn
  logs_kms_key_arn         = module.kms.logs_key_arn
  log_retention_days       = var.log_retention_days
  subnet_ids               = module.network.private_subnet_ids
  security_group_ids       = [module.network.sagemaker_security_group_id]
  image_uri                = data.aws_sagemaker_prebuilt_ecr_image.xgboost.registry_path
  inference_image_uri      = local.inference_image_uri
  model_package_group_name = local.model_package_group_name
  endpoint_name            = var.endpoint_name
  alarm_topic_arn          = module.observability.sns_topic_arn
  retraining_poll_seconds  = var.retraining_poll_seconds
  tags                     = local.tags
}

module "featurestore" {
  source = "../modules/featurestore"

  name_prefix                    = var.name_prefix
  data_lake_bucket_name          = module.storage.data_lake_bucket_id
  kms_key_arn                    = module.kms.data_key_arn
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff_per_query
  tags                           = local.tags
}
