locals {
  # Model, endpoint configuration and endpoint exist only once a model artifact is known.
  deploy_endpoint    = var.model_artifact_url != null
  deploy_autoscaling = var.enable_autoscaling && local.deploy_endpoint

  notebook_instance_name = "${var.name_prefix}-notebook"
}

################################################################################
# Model
################################################################################

resource "aws_sagemaker_model" "this" {
  count = local.deploy_endpoint ? 1 : 0

  name               = var.model_name
  execution_role_arn = var.execution_role_arn

  # The container gets no network access at all (no S3, no internet): the model
  # must be self-contained in model_artifact_url.
  enable_network_isolation = true

  primary_container {
    image          = var.image_uri
    model_data_url = var.model_artifact_url
    environment    = var.model_environment
  }

  vpc_config {
    subnets            = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  tags = var.tags
}

################################################################################
# Endpoint configuration and endpoint
################################################################################

resource "aws_sagemaker_endpoint_configuration" "this" {
  count = local.deploy_endpoint ? 1 : 0

  name        = var.endpoint_config_name
  kms_key_arn = var.endpoint_kms_key_arn

  production_variants {
    variant_name           = var.variant_name
    model_name             = aws_sagemaker_model.this[0].name
    instance_type          = var.instance_type
    initial_instance_count = var.initial_instance_count
    initial_variant_weight = 1
  }

  data_capture_config {
    enable_capture              = var.data_capture.enabled
    initial_sampling_percentage = var.data_capture.sampling_percentage
    destination_s3_uri          = var.data_capture.destination_s3_uri
    kms_key_id                  = var.data_capture.kms_key_arn

    capture_options {
      capture_mode = "Input"
    }

    capture_options {
      capture_mode = "Output"
    }

    capture_content_type_header {
      json_content_types = var.data_capture.json_content_types
      csv_content_types  = var.data_capture.csv_content_types
    }
  }

  tags = var.tags
}

resource "aws_sagemaker_endpoint" "this" {
  count = local.deploy_endpoint ? 1 : 0

  name                 = var.endpoint_name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this[0].name

  tags = var.tags
}

################################################################################
# Model registry
################################################################################

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.model_package_group_name
  model_package_group_description = var.model_package_group_description

  tags = var.tags
}

################################################################################
# Optional notebook instance (no internet, no root, IMDSv2 only, in the VPC)
################################################################################

resource "aws_sagemaker_notebook_instance" "this" {
  #checkov:skip=CKV2_AWS_68:the role comes from the iam module (execution_role_arn, scoped inline policy without "*" actions); checkov can only judge a role declared in this module
  count = var.enable_notebook ? 1 : 0

  name                   = local.notebook_instance_name
  role_arn               = var.execution_role_arn
  instance_type          = var.notebook_instance_type
  volume_size            = var.notebook_volume_size_in_gb
  kms_key_id             = var.notebook_kms_key_arn
  subnet_id              = var.subnet_ids[0]
  security_groups        = var.security_group_ids
  direct_internet_access = "Disabled"
  root_access            = "Disabled"

  instance_metadata_service_configuration {
    minimum_instance_metadata_service_version = "2"
  }

  tags = var.tags
}

################################################################################
# Optional autoscaling of the production variant
################################################################################

resource "aws_appautoscaling_target" "this" {
  count = local.deploy_autoscaling ? 1 : 0

  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.this[0].name}/variant/${var.variant_name}"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = var.autoscaling_min_capacity
  max_capacity       = var.autoscaling_max_capacity

  tags = var.tags
}

resource "aws_appautoscaling_policy" "this" {
  count = local.deploy_autoscaling ? 1 : 0

  name               = "${var.name_prefix}-${var.variant_name}-invocations"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling_target_invocations
    scale_in_cooldown  = var.autoscaling_scale_in_cooldown_seconds
    scale_out_cooldown = var.autoscaling_scale_out_cooldown_seconds

    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}
