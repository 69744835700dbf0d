# Optional notebook instance: hardened when on, absent when off.

mock_provider "aws" {}

variables {
  name_prefix              = "gxp-test"
  execution_role_arn       = "arn:aws:iam::123456789012:role/gxp-test-sagemaker-execution"
  subnet_ids               = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
  security_group_ids       = ["sg-0a1b2c3d4e5f60001"]
  endpoint_kms_key_arn     = "arn:aws:kms:eu-central-1:123456789012:key/22222222-3333-4444-5555-666666666666"
  model_package_group_name = "gxp-test-models"
}

run "notebook_off" {
  command = plan

  variables {
    enable_notebook = false
  }

  assert {
    condition     = length(aws_sagemaker_notebook_instance.this) == 0 && output.notebook_instance_name == null
    error_message = "No notebook instance may be planned when enable_notebook is false."
  }
}

run "notebook_on_is_hardened" {
  command = plan

  variables {
    enable_notebook      = true
    notebook_kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/44444444-5555-6666-7777-888888888888"
  }

  assert {
    condition     = length(aws_sagemaker_notebook_instance.this) == 1 && aws_sagemaker_notebook_instance.this[0].name == "gxp-test-notebook"
    error_message = "The notebook instance must be named <name_prefix>-notebook."
  }

  assert {
    condition     = aws_sagemaker_notebook_instance.this[0].direct_internet_access == "Disabled" && aws_sagemaker_notebook_instance.this[0].root_access == "Disabled"
    error_message = "The notebook must have no direct internet access and no root access."
  }

  assert {
    condition     = aws_sagemaker_notebook_instance.this[0].instance_metadata_service_configuration[0].minimum_instance_metadata_service_version == "2"
    error_message = "The notebook must require IMDSv2."
  }

  assert {
    condition     = aws_sagemaker_notebook_instance.this[0].kms_key_id == var.notebook_kms_key_arn
    error_message = "The notebook volume must be encrypted with notebook_kms_key_arn."
  }

  assert {
    condition     = aws_sagemaker_notebook_instance.this[0].subnet_id == "subnet-0a1b2c3d4e5f60001" && toset(aws_sagemaker_notebook_instance.this[0].security_groups) == toset(var.security_group_ids)
    error_message = "The notebook must sit in the first private subnet with the given security groups."
  }

  assert {
    condition     = aws_sagemaker_notebook_instance.this[0].instance_type == "ml.t3.medium" && aws_sagemaker_notebook_instance.this[0].role_arn == var.execution_role_arn
    error_message = "The notebook must use the default type and the execution role."
  }

  assert {
    condition     = output.notebook_instance_name == "gxp-test-notebook"
    error_message = "notebook_instance_name must be output."
  }

  assert {
    condition     = length(aws_sagemaker_endpoint.this) == 0
    error_message = "The notebook does not depend on a model artifact."
  }
}
