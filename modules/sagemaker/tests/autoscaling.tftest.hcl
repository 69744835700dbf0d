# Optional target-tracking autoscaling of the production variant.

mock_provider "aws" {}

variables {
  name_prefix              = "gxp-test"
  execution_role_arn       = "arn:aws:iam::123456789012:role/gxp-test-sagemaker-execution"
  subnet_ids               = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
  security_group_ids       = ["sg-0a1b2c3d4e5f60001"]
  endpoint_kms_key_arn     = "arn:aws:kms:eu-central-1:123456789012:key/22222222-3333-4444-5555-666666666666"
  model_package_group_name = "gxp-test-models"
  model_artifact_url       = "s3://gxp-test-data-lake/models/dropout/output/model.tar.gz"
  image_uri                = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
  data_capture = {
    destination_s3_uri = "s3://gxp-test-data-lake/models/data-capture"
    kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
  }
}

run "autoscaling_off" {
  command = plan

  assert {
    condition     = length(aws_appautoscaling_target.this) == 0 && length(aws_appautoscaling_policy.this) == 0
    error_message = "No autoscaling may be planned when enable_autoscaling is false."
  }
}

run "autoscaling_on" {
  command = plan

  variables {
    enable_autoscaling             = true
    autoscaling_min_capacity       = 2
    autoscaling_max_capacity       = 4
    autoscaling_target_invocations = 250
  }

  assert {
    condition = (aws_appautoscaling_target.this[0].service_namespace == "sagemaker" &&
      aws_appautoscaling_target.this[0].resource_id == "endpoint/dropout-inference/variant/AllTraffic" &&
    aws_appautoscaling_target.this[0].scalable_dimension == "sagemaker:variant:DesiredInstanceCount")
    error_message = "The scalable target must be the variant's desired instance count."
  }

  assert {
    condition     = aws_appautoscaling_target.this[0].min_capacity == 2 && aws_appautoscaling_target.this[0].max_capacity == 4
    error_message = "Capacity bounds must come from the inputs."
  }

  assert {
    condition = (aws_appautoscaling_policy.this[0].policy_type == "TargetTrackingScaling" &&
      aws_appautoscaling_policy.this[0].target_tracking_scaling_policy_configuration[0].target_value == 250 &&
    aws_appautoscaling_policy.this[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "SageMakerVariantInvocationsPerInstance")
    error_message = "The policy must track invocations per instance at the given target."
  }

  assert {
    condition     = aws_appautoscaling_policy.this[0].name == "gxp-test-AllTraffic-invocations"
    error_message = "The policy name must derive from name_prefix and variant_name."
  }

  assert {
    condition     = output.autoscaling_resource_id == "endpoint/dropout-inference/variant/AllTraffic"
    error_message = "autoscaling_resource_id must be output."
  }
}
