# With a model artifact: model, endpoint configuration and endpoint.

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
  model_environment        = { SAGEMAKER_PROGRAM = "inference.py", SAGEMAKER_SUBMIT_DIRECTORY = "/opt/ml/model/code" }
  data_capture = {
    destination_s3_uri = "s3://gxp-test-data-lake/models/data-capture"
    kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
  }
  tags = { Project = "gxp-sagemaker" }
}

run "model_isolated_in_vpc" {
  command = plan

  assert {
    condition     = length(aws_sagemaker_model.this) == 1 && aws_sagemaker_model.this[0].name == "dropout-model"
    error_message = "The model must be planned with the default name."
  }

  assert {
    condition     = aws_sagemaker_model.this[0].enable_network_isolation == true
    error_message = "The model must run with network isolation."
  }

  assert {
    condition     = toset(aws_sagemaker_model.this[0].vpc_config[0].subnets) == toset(var.subnet_ids) && toset(aws_sagemaker_model.this[0].vpc_config[0].security_group_ids) == toset(var.security_group_ids)
    error_message = "The model must run in the given subnets and security groups."
  }

  assert {
    condition     = aws_sagemaker_model.this[0].execution_role_arn == var.execution_role_arn
    error_message = "The model must use the given execution role."
  }

  assert {
    condition = (aws_sagemaker_model.this[0].primary_container[0].image == var.image_uri &&
      aws_sagemaker_model.this[0].primary_container[0].model_data_url == var.model_artifact_url &&
    aws_sagemaker_model.this[0].primary_container[0].environment["SAGEMAKER_PROGRAM"] == "inference.py")
    error_message = "The primary container must carry image, model artifact and environment."
  }
}

run "endpoint_config_encrypted_with_data_capture" {
  command = plan

  assert {
    condition     = aws_sagemaker_endpoint_configuration.this[0].name == "dropout-config" && aws_sagemaker_endpoint_configuration.this[0].kms_key_arn == var.endpoint_kms_key_arn
    error_message = "The endpoint configuration must be encrypted with endpoint_kms_key_arn."
  }

  assert {
    condition = (aws_sagemaker_endpoint_configuration.this[0].production_variants[0].variant_name == "AllTraffic" &&
      aws_sagemaker_endpoint_configuration.this[0].production_variants[0].model_name == "dropout-model" &&
      aws_sagemaker_endpoint_configuration.this[0].production_variants[0].instance_type == "ml.m5.large" &&
    aws_sagemaker_endpoint_configuration.this[0].production_variants[0].initial_instance_count == 1)
    error_message = "The production variant must serve the model on one ml.m5.large by default."
  }

  assert {
    condition = (aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].enable_capture == true &&
      aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].initial_sampling_percentage == 100 &&
      aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].destination_s3_uri == "s3://gxp-test-data-lake/models/data-capture" &&
    aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].kms_key_id == "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777")
    error_message = "Data capture must be on, at 100 %, KMS-encrypted, into the given destination."
  }

  assert {
    condition     = toset([for o in aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].capture_options : o.capture_mode]) == toset(["Input", "Output"])
    error_message = "Data capture must record both requests and responses."
  }

  assert {
    condition = (toset(aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].capture_content_type_header[0].json_content_types) == toset(["application/json"]) &&
    toset(aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].capture_content_type_header[0].csv_content_types) == toset(["text/csv"]))
    error_message = "Data capture must declare JSON and CSV content types."
  }
}

run "endpoint_and_outputs" {
  command = plan

  assert {
    condition     = aws_sagemaker_endpoint.this[0].name == "dropout-inference" && aws_sagemaker_endpoint.this[0].endpoint_config_name == "dropout-config"
    error_message = "The endpoint must use the endpoint configuration."
  }

  assert {
    condition     = aws_sagemaker_endpoint.this[0].tags["Project"] == "gxp-sagemaker" && aws_sagemaker_model.this[0].tags["Project"] == "gxp-sagemaker"
    error_message = "Resources must carry the input tags."
  }

  assert {
    condition = (output.model_name == "dropout-model" && output.endpoint_config_name == "dropout-config" &&
    output.endpoint_name == "dropout-inference" && output.variant_name == "AllTraffic" && output.endpoint_deployed)
    error_message = "Name outputs must report the planned resources."
  }
}

run "custom_names_sizing_and_sampling" {
  command = plan

  variables {
    model_name             = "dropout-model-v2"
    endpoint_config_name   = "dropout-config-v2"
    endpoint_name          = "dropout-inference-v2"
    variant_name           = "Blue"
    instance_type          = "ml.c5.xlarge"
    initial_instance_count = 3
    data_capture = {
      enabled             = true
      destination_s3_uri  = "s3://gxp-test-data-lake/models/data-capture"
      kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
      sampling_percentage = 25
    }
  }

  assert {
    condition = (aws_sagemaker_endpoint_configuration.this[0].production_variants[0].model_name == "dropout-model-v2" &&
      aws_sagemaker_endpoint_configuration.this[0].production_variants[0].variant_name == "Blue" &&
      aws_sagemaker_endpoint_configuration.this[0].production_variants[0].instance_type == "ml.c5.xlarge" &&
    aws_sagemaker_endpoint_configuration.this[0].production_variants[0].initial_instance_count == 3)
    error_message = "Names, instance type and count must reach the production variant."
  }

  assert {
    condition     = aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].initial_sampling_percentage == 25
    error_message = "sampling_percentage must reach the data capture configuration."
  }

  assert {
    condition     = aws_sagemaker_endpoint.this[0].name == "dropout-inference-v2" && aws_sagemaker_endpoint.this[0].endpoint_config_name == "dropout-config-v2"
    error_message = "Custom endpoint names must be used."
  }
}
