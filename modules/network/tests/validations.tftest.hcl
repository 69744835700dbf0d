# Every validation of the network module fails the plan on a bad input.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix             = "gxp-test"
  availability_zones      = ["eu-central-1a", "eu-central-1b"]
  flow_log_kms_key_arn    = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  s3_endpoint_bucket_arns = ["arn:aws:s3:::gxp-test-data-lake"]
}

run "valid_inputs_plan" {
  command = plan

  variables {
    vpc_cidr                          = "10.0.0.0/24"
    availability_zones                = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    flow_log_retention_days           = 3653
    flow_log_max_aggregation_interval = 600
  }

  assert {
    condition     = aws_subnet.private["eu-central-1c"].cidr_block == "10.0.0.32/28"
    error_message = "A /24 VPC with three zones must plan /28 subnets."
  }
}

run "name_prefix_rejects_upper_case" {
  command = plan
  variables {
    name_prefix = "GxP_Test"
  }
  expect_failures = [var.name_prefix]
}

run "vpc_cidr_rejects_invalid_cidr" {
  command = plan
  variables {
    vpc_cidr = "10.42.0.1/16"
  }
  expect_failures = [var.vpc_cidr]
}

run "subnet_newbits_rejects_out_of_range" {
  command = plan
  variables {
    subnet_newbits = 9
  }
  expect_failures = [var.subnet_newbits]
}

run "subnet_newbits_rejects_subnets_below_slash_28" {
  command = plan
  variables {
    vpc_cidr       = "10.42.0.0/24"
    subnet_newbits = 5
  }
  expect_failures = [var.subnet_newbits]
}

run "availability_zones_rejects_single_zone" {
  command = plan
  variables {
    availability_zones = ["eu-central-1a", "eu-central-1a"]
  }
  expect_failures = [var.availability_zones]
}

run "availability_zones_rejects_zone_ids" {
  command = plan
  variables {
    availability_zones = ["euc1-az1", "euc1-az2"]
  }
  expect_failures = [var.availability_zones]
}

run "availability_zones_rejects_more_zones_than_subnets" {
  command = plan
  variables {
    subnet_newbits     = 1
    availability_zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
  }
  expect_failures = [var.availability_zones]
}

run "interface_endpoint_services_rejects_s3" {
  command = plan
  variables {
    interface_endpoint_services = ["sagemaker.api", "s3"]
  }
  expect_failures = [var.interface_endpoint_services]
}

run "flow_log_retention_days_rejects_below_one_year" {
  command = plan
  variables {
    flow_log_retention_days = 180
  }
  expect_failures = [var.flow_log_retention_days]
}

run "flow_log_retention_days_rejects_unsupported_value" {
  command = plan
  variables {
    flow_log_retention_days = 500
  }
  expect_failures = [var.flow_log_retention_days]
}

run "flow_log_kms_key_arn_rejects_alias" {
  command = plan
  variables {
    flow_log_kms_key_arn = "alias/gxp-logs"
  }
  expect_failures = [var.flow_log_kms_key_arn]
}

run "flow_log_max_aggregation_interval_rejects_other_values" {
  command = plan
  variables {
    flow_log_max_aggregation_interval = 120
  }
  expect_failures = [var.flow_log_max_aggregation_interval]
}

run "s3_endpoint_bucket_arns_rejects_object_arn" {
  command = plan

  variables {
    s3_endpoint_bucket_arns = ["arn:aws:s3:::gxp-test-data-lake/*"]
  }

  expect_failures = [var.s3_endpoint_bucket_arns]
}

run "s3_endpoint_bucket_arns_rejects_empty_list" {
  command = plan

  variables {
    s3_endpoint_bucket_arns = []
  }

  expect_failures = [var.s3_endpoint_bucket_arns]
}

run "zone_not_available_in_region_fails" {
  command = plan

  variables {
    availability_zones = ["eu-central-1a", "eu-central-1z"]
  }

  expect_failures = [aws_subnet.private]
}
