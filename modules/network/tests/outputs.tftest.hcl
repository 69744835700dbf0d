# Output shapes the root configuration relies on.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix                 = "gxp-out"
  availability_zones          = ["eu-central-1b", "eu-central-1a", "eu-central-1c"]
  interface_endpoint_services = ["sagemaker.runtime", "logs"]
  flow_log_kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  s3_endpoint_bucket_arns     = ["arn:aws:s3:::gxp-test-data-lake"]
}

run "output_shapes" {
  command = plan

  assert {
    condition     = output.vpc_cidr_block == "10.42.0.0/16"
    error_message = "vpc_cidr_block must echo the VPC CIDR."
  }

  assert {
    condition     = length(output.private_subnet_ids) == 3 && length(output.private_subnet_arns) == 3 && length(output.route_table_ids) == 3
    error_message = "One subnet id, subnet ARN and route table id per zone is expected."
  }

  assert {
    condition     = output.private_subnet_cidr_blocks == ["10.42.0.0/20", "10.42.16.0/20", "10.42.32.0/20"]
    error_message = "Subnet CIDRs must follow the order of availability_zones."
  }

  assert {
    condition     = toset(keys(output.interface_endpoint_ids)) == toset(["sagemaker.runtime", "logs"])
    error_message = "interface_endpoint_ids must be keyed by service suffix."
  }

  assert {
    condition     = output.interface_endpoint_service_names["logs"] == "com.amazonaws.eu-central-1.logs"
    error_message = "interface_endpoint_service_names must hold the full regional service names."
  }

  assert {
    condition     = output.flow_log_group_name == "/aws/vpc/flow-logs/gxp-out"
    error_message = "flow_log_group_name must derive from name_prefix."
  }
}
