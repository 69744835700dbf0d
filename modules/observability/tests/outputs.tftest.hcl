# Output shapes the root configuration relies on.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix       = "gxp-test"
  logs_kms_key_arn  = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  trail_bucket_name = "gxp-test-evidence"
  tags              = { Project = "gxp-ml", Environment = "test" }
}

run "output_shapes" {
  command = plan

  assert {
    condition     = output.training_log_group_name == "/aws/sagemaker/TrainingJobs" && output.endpoint_log_group_name == "/aws/sagemaker/Endpoints/dropout-inference"
    error_message = "SageMaker log group names must be output."
  }

  assert {
    condition     = output.trail_log_group_name == "/aws/cloudtrail/gxp-test" && output.trail_name == "gxp-test-trail"
    error_message = "Trail log group and trail names must be output."
  }

  assert {
    condition     = output.trail_expected_arn == "arn:aws:cloudtrail:eu-central-1:123456789012:trail/gxp-test-trail"
    error_message = "trail_expected_arn must be known at plan time."
  }

  assert {
    condition     = length(output.log_group_arns) == 3
    error_message = "log_group_arns must list the training, endpoint and trail log groups."
  }

  assert {
    condition     = output.log_group_names == { training = "/aws/sagemaker/TrainingJobs", endpoint = "/aws/sagemaker/Endpoints/dropout-inference", trail = "/aws/cloudtrail/gxp-test" }
    error_message = "log_group_names must be keyed training, endpoint and trail."
  }

  assert {
    condition     = output.alarm_names == { invocation_5xx = "gxp-test-dropout-inference-invocation-5xx-errors", model_latency = "gxp-test-dropout-inference-model-latency" }
    error_message = "alarm_names must be keyed invocation_5xx and model_latency."
  }

  assert {
    condition     = output.sns_topic_name == "gxp-test-alarms"
    error_message = "sns_topic_name must be output."
  }
}
