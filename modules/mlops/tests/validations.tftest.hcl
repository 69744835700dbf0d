# One expect_failures run per validation rule: a bad input must fail at plan.

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name_prefix              = "gxp-test"
  data_bucket_name         = "gxp-test-datalake-123456789012"
  execution_role_arn       = "arn:aws:iam::123456789012:role/gxp-test-sagemaker-execution"
  execution_role_name      = "gxp-test-sagemaker-execution"
  data_kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  model_kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/22222222-3333-4444-5555-666666666666"
  volume_kms_key_arn       = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
  logs_kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/44444444-5555-6666-7777-888888888888"
  subnet_ids               = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
  security_group_ids       = ["sg-0a1b2c3d4e5f60001"]
  image_uri                = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
  inference_image_uri      = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
  model_package_group_name = "gxp-test-dropout-models"
  endpoint_name            = "dropout-inference"
  alarm_topic_arn          = "arn:aws:sns:eu-central-1:123456789012:gxp-test-alarms"
}

run "name_prefix_invalid_rejected" {
  command = plan

  variables {
    name_prefix = "gxp_test"
  }

  expect_failures = [var.name_prefix]
}

run "data_bucket_name_invalid_rejected" {
  command = plan

  variables {
    data_bucket_name = "Not_A_Bucket"
  }

  expect_failures = [var.data_bucket_name]
}

run "input_prefix_invalid_rejected" {
  command = plan

  variables {
    input_prefix = "/processed/ml"
  }

  expect_failures = [var.input_prefix]
}

run "pipeline_prefix_invalid_rejected" {
  command = plan

  variables {
    pipeline_prefix = "models/*"
  }

  expect_failures = [var.pipeline_prefix]
}

run "execution_role_arn_invalid_rejected" {
  command = plan

  variables {
    execution_role_arn = "role/x"
  }

  expect_failures = [var.execution_role_arn]
}

run "execution_role_name_invalid_rejected" {
  command = plan

  variables {
    execution_role_name = "bad role"
  }

  expect_failures = [var.execution_role_name]
}

run "data_kms_key_arn_invalid_rejected" {
  command = plan

  variables {
    data_kms_key_arn = "alias/data"
  }

  expect_failures = [var.data_kms_key_arn]
}

run "model_kms_key_arn_invalid_rejected" {
  command = plan

  variables {
    model_kms_key_arn = "alias/model"
  }

  expect_failures = [var.model_kms_key_arn]
}

run "volume_kms_key_arn_invalid_rejected" {
  command = plan

  variables {
    volume_kms_key_arn = "alias/volume"
  }

  expect_failures = [var.volume_kms_key_arn]
}

run "logs_kms_key_arn_invalid_rejected" {
  command = plan

  variables {
    logs_kms_key_arn = "alias/logs"
  }

  expect_failures = [var.logs_kms_key_arn]
}

run "log_retention_days_invalid_rejected" {
  command = plan

  variables {
    log_retention_days = 2
  }

  expect_failures = [var.log_retention_days]
}

run "subnet_ids_invalid_rejected" {
  command = plan

  variables {
    subnet_ids = []
  }

  expect_failures = [var.subnet_ids]
}

run "security_group_ids_invalid_rejected" {
  command = plan

  variables {
    security_group_ids = ["group-1"]
  }

  expect_failures = [var.security_group_ids]
}

run "image_uri_invalid_rejected" {
  command = plan

  variables {
    image_uri = "sagemaker-xgboost"
  }

  expect_failures = [var.image_uri]
}

run "inference_image_uri_invalid_rejected" {
  command = plan

  variables {
    inference_image_uri = "latest"
  }

  expect_failures = [var.inference_image_uri]
}

run "model_package_group_name_invalid_rejected" {
  command = plan

  variables {
    model_package_group_name = "bad_group!"
  }

  expect_failures = [var.model_package_group_name]
}

run "auc_threshold_invalid_rejected" {
  command = plan

  variables {
    auc_threshold = 0.5
  }

  expect_failures = [var.auc_threshold]
}

run "max_calibration_error_invalid_rejected" {
  command = plan

  variables {
    max_calibration_error = 0.9
  }

  expect_failures = [var.max_calibration_error]
}

run "hyperparameters_invalid_rejected" {
  command = plan

  variables {
    hyperparameters = { sagemaker_program = "x.py" }
  }

  expect_failures = [var.hyperparameters]
}

run "endpoint_name_invalid_rejected" {
  command = plan

  variables {
    endpoint_name = "bad.endpoint"
  }

  expect_failures = [var.endpoint_name]
}

run "monitored_features_invalid_rejected" {
  command = plan

  variables {
    monitored_features = ["Age"]
  }

  expect_failures = [var.monitored_features]
}

run "drift_threshold_invalid_rejected" {
  command = plan

  variables {
    drift_threshold = 1.5
  }

  expect_failures = [var.drift_threshold]
}

run "alarm_topic_arn_invalid_rejected" {
  command = plan

  variables {
    alarm_topic_arn = "topic"
  }

  expect_failures = [var.alarm_topic_arn]
}

run "retraining_poll_seconds_invalid_rejected" {
  command = plan

  variables {
    retraining_poll_seconds = 0
  }

  expect_failures = [var.retraining_poll_seconds]
}

run "retraining_schedule_invalid_rejected" {
  command = plan

  variables {
    retraining_schedule = "every week"
  }

  expect_failures = [var.retraining_schedule]
}

run "model_monitor_image_uri_invalid_rejected" {
  command = plan

  variables {
    model_monitor_image_uri = "analyzer"
  }

  expect_failures = [var.model_monitor_image_uri]
}
