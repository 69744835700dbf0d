# One expect_failures run per validation rule: a bad input must fail at plan.

mock_provider "aws" {}

variables {
  name_prefix              = "gxp-test"
  execution_role_arn       = "arn:aws:iam::123456789012:role/gxp-test-sagemaker-execution"
  subnet_ids               = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
  security_group_ids       = ["sg-0a1b2c3d4e5f60001"]
  endpoint_kms_key_arn     = "arn:aws:kms:eu-central-1:123456789012:key/22222222-3333-4444-5555-666666666666"
  model_package_group_name = "gxp-test-models"
}

run "valid_inputs_plan" {
  command = plan

  variables {
    model_artifact_url = "s3://gxp-test-data-lake/models/dropout/output/model.tar.gz"
    image_uri          = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    data_capture = {
      destination_s3_uri = "s3://gxp-test-data-lake/models/data-capture"
      kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
    }
    instance_type          = "ml.r5.2xlarge"
    initial_instance_count = 10
  }

  assert {
    condition     = aws_sagemaker_endpoint_configuration.this[0].production_variants[0].instance_type == "ml.r5.2xlarge"
    error_message = "An allowed instance type must be accepted."
  }
}

run "name_prefix_invalid_rejected" {
  command = plan

  variables {
    name_prefix = "gxp_test"
  }

  expect_failures = [var.name_prefix]
}

run "model_name_invalid_rejected" {
  command = plan

  variables {
    model_name = "dropout.model"
  }

  expect_failures = [var.model_name]
}

run "endpoint_config_name_invalid_rejected" {
  command = plan

  variables {
    endpoint_config_name = "-dropout-config"
  }

  expect_failures = [var.endpoint_config_name]
}

run "endpoint_name_invalid_rejected" {
  command = plan

  variables {
    endpoint_name = "dropout inference"
  }

  expect_failures = [var.endpoint_name]
}

run "variant_name_invalid_rejected" {
  command = plan

  variables {
    variant_name = "All_Traffic"
  }

  expect_failures = [var.variant_name]
}

run "model_artifact_url_not_s3_rejected" {
  command = plan

  variables {
    model_artifact_url = "https://example.com/model.tar.gz"
    image_uri          = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    data_capture = {
      destination_s3_uri = "s3://gxp-test-data-lake/models/data-capture"
      kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
    }
  }

  expect_failures = [var.model_artifact_url]
}

run "image_uri_not_ecr_rejected" {
  command = plan

  variables {
    image_uri = "docker.io/library/xgboost:latest"
  }

  expect_failures = [var.image_uri]
}

run "image_uri_missing_with_model_rejected" {
  command = plan

  variables {
    model_artifact_url = "s3://gxp-test-data-lake/models/model.tar.gz"
    data_capture = {
      destination_s3_uri = "s3://gxp-test-data-lake/models/data-capture"
      kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
    }
  }

  expect_failures = [var.image_uri]
}

run "execution_role_arn_not_role_rejected" {
  command = plan

  variables {
    execution_role_arn = "arn:aws:iam::123456789012:user/alice"
  }

  expect_failures = [var.execution_role_arn]
}

run "subnet_ids_empty_rejected" {
  command = plan

  variables {
    subnet_ids = []
  }

  expect_failures = [var.subnet_ids]
}

run "security_group_ids_invalid_rejected" {
  command = plan

  variables {
    security_group_ids = ["default"]
  }

  expect_failures = [var.security_group_ids]
}

run "endpoint_kms_key_arn_alias_rejected" {
  command = plan

  variables {
    endpoint_kms_key_arn = "alias/aws/sagemaker"
  }

  expect_failures = [var.endpoint_kms_key_arn]
}

run "data_capture_destination_not_s3_rejected" {
  command = plan

  variables {
    data_capture = {
      destination_s3_uri = "gxp-test-data-lake/models/data-capture"
      kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
    }
  }

  expect_failures = [var.data_capture]
}

run "data_capture_kms_key_invalid_rejected" {
  command = plan

  variables {
    data_capture = {
      destination_s3_uri = "s3://gxp-test-data-lake/models/data-capture"
      kms_key_arn        = "alias/aws/s3"
    }
  }

  expect_failures = [var.data_capture]
}

run "data_capture_sampling_above_100_rejected" {
  command = plan

  variables {
    data_capture = {
      destination_s3_uri  = "s3://gxp-test-data-lake/models/data-capture"
      kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
      sampling_percentage = 101
    }
  }

  expect_failures = [var.data_capture]
}

run "data_capture_missing_with_model_rejected" {
  command = plan

  variables {
    model_artifact_url = "s3://gxp-test-data-lake/models/model.tar.gz"
    image_uri          = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
  }

  expect_failures = [var.data_capture]
}

run "instance_type_not_allowed_rejected" {
  command = plan

  variables {
    instance_type = "ml.p4d.24xlarge"
  }

  expect_failures = [var.instance_type]
}

run "instance_type_not_ml_rejected" {
  command = plan

  variables {
    instance_type = "m5.large"
  }

  expect_failures = [var.instance_type]
}

run "initial_instance_count_zero_rejected" {
  command = plan

  variables {
    initial_instance_count = 0
  }

  expect_failures = [var.initial_instance_count]
}

run "initial_instance_count_above_10_rejected" {
  command = plan

  variables {
    initial_instance_count = 11
  }

  expect_failures = [var.initial_instance_count]
}

run "model_package_group_name_invalid_rejected" {
  command = plan

  variables {
    model_package_group_name = "gxp models"
  }

  expect_failures = [var.model_package_group_name]
}

run "notebook_instance_type_not_allowed_rejected" {
  command = plan

  variables {
    notebook_instance_type = "ml.p3.2xlarge"
  }

  expect_failures = [var.notebook_instance_type]
}

run "notebook_volume_size_too_small_rejected" {
  command = plan

  variables {
    notebook_volume_size_in_gb = 1
  }

  expect_failures = [var.notebook_volume_size_in_gb]
}

run "notebook_kms_key_arn_invalid_rejected" {
  command = plan

  variables {
    notebook_kms_key_arn = "not-a-key"
  }

  expect_failures = [var.notebook_kms_key_arn]
}

run "notebook_without_kms_key_rejected" {
  command = plan

  variables {
    enable_notebook = true
  }

  expect_failures = [var.notebook_kms_key_arn]
}

run "autoscaling_min_capacity_zero_rejected" {
  command = plan

  variables {
    autoscaling_min_capacity = 0
  }

  expect_failures = [var.autoscaling_min_capacity]
}

run "autoscaling_max_below_min_rejected" {
  command = plan

  variables {
    autoscaling_min_capacity = 3
    autoscaling_max_capacity = 2
  }

  expect_failures = [var.autoscaling_max_capacity]
}

run "autoscaling_target_invocations_zero_rejected" {
  command = plan

  variables {
    autoscaling_target_invocations = 0
  }

  expect_failures = [var.autoscaling_target_invocations]
}

run "autoscaling_scale_in_cooldown_negative_rejected" {
  command = plan

  variables {
    autoscaling_scale_in_cooldown_seconds = -1
  }

  expect_failures = [var.autoscaling_scale_in_cooldown_seconds]
}

run "autoscaling_scale_out_cooldown_negative_rejected" {
  command = plan

  variables {
    autoscaling_scale_out_cooldown_seconds = -1
  }

  expect_failures = [var.autoscaling_scale_out_cooldown_seconds]
}

run "nvme_instance_type_with_kms_key_rejected" {
  command = plan

  variables {
    instance_type = "ml.g5.2xlarge"
  }

  expect_failures = [var.instance_type]
}

run "nvme_g4dn_instance_type_with_kms_key_rejected" {
  command = plan

  variables {
    instance_type = "ml.g4dn.xlarge"
  }

  expect_failures = [var.instance_type]
}
