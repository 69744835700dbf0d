# Without a model artifact only the model package group is planned.

mock_provider "aws" {}

variables {
  name_prefix              = "gxp-test"
  execution_role_arn       = "arn:aws:iam::123456789012:role/gxp-test-sagemaker-execution"
  subnet_ids               = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
  security_group_ids       = ["sg-0a1b2c3d4e5f60001"]
  endpoint_kms_key_arn     = "arn:aws:kms:eu-central-1:123456789012:key/22222222-3333-4444-5555-666666666666"
  model_package_group_name = "gxp-test-models"
  tags                     = { Project = "gxp-sagemaker" }
}

run "no_model_artifact_no_endpoint" {
  command = plan

  assert {
    condition     = length(aws_sagemaker_model.this) == 0 && length(aws_sagemaker_endpoint_configuration.this) == 0 && length(aws_sagemaker_endpoint.this) == 0
    error_message = "Model, endpoint configuration and endpoint must not be planned while model_artifact_url is null."
  }

  assert {
    condition     = length(aws_sagemaker_notebook_instance.this) == 0
    error_message = "The notebook instance must be off by default."
  }

  assert {
    condition     = length(aws_appautoscaling_target.this) == 0 && length(aws_appautoscaling_policy.this) == 0
    error_message = "Autoscaling must be off by default."
  }

  assert {
    condition     = aws_sagemaker_model_package_group.this.model_package_group_name == "gxp-test-models"
    error_message = "The model package group must always be planned with the given name."
  }

  assert {
    condition     = aws_sagemaker_model_package_group.this.tags["Project"] == "gxp-sagemaker"
    error_message = "The model package group must carry the input tags."
  }
}

run "outputs_null_when_disabled" {
  command = plan

  assert {
    condition = alltrue([for o in [output.model_name, output.model_arn, output.endpoint_config_name, output.endpoint_config_arn,
    output.endpoint_name, output.endpoint_arn, output.variant_name, output.notebook_instance_name, output.notebook_instance_arn, output.autoscaling_resource_id] : o == null])
    error_message = "Outputs of resources that are not created must be null."
  }

  assert {
    condition     = output.endpoint_deployed == false
    error_message = "endpoint_deployed must be false without a model artifact."
  }

  assert {
    condition     = output.model_package_group_name == "gxp-test-models"
    error_message = "model_package_group_name must be output."
  }
}

run "autoscaling_without_endpoint_is_inert" {
  command = plan

  variables {
    enable_autoscaling = true
  }

  assert {
    condition     = length(aws_appautoscaling_target.this) == 0 && length(aws_appautoscaling_policy.this) == 0
    error_message = "Autoscaling needs an endpoint: nothing may be planned without model_artifact_url."
  }
}
