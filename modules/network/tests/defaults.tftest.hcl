# Planned values of the network with default inputs: private-only VPC, closed default SG,
# HTTPS-only security groups, the S3 gateway endpoint, seven interface endpoints and flow logs.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix             = "gxp-test"
  availability_zones      = ["eu-central-1a", "eu-central-1b"]
  flow_log_kms_key_arn    = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  s3_endpoint_bucket_arns = ["arn:aws:s3:::gxp-test-data-lake"]
  tags                    = { Project = "gxp-ml", Environment = "test" }
}

run "vpc_is_private_with_dns" {
  command = plan

  assert {
    condition     = aws_vpc.this.cidr_block == "10.42.0.0/16"
    error_message = "The VPC must default to 10.42.0.0/16."
  }

  assert {
    condition     = aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
    error_message = "DNS support and DNS hostnames must be on (private DNS of interface endpoints needs both)."
  }

  assert {
    condition     = aws_vpc.this.tags["Project"] == "gxp-ml" && aws_vpc.this.tags["Name"] == "gxp-test-vpc"
    error_message = "The VPC must carry the input tags and a Name tag."
  }
}

run "one_private_subnet_per_zone" {
  command = plan

  assert {
    condition     = length(aws_subnet.private) == 2
    error_message = "One subnet per availability zone is expected."
  }

  assert {
    condition     = aws_subnet.private["eu-central-1a"].cidr_block == "10.42.0.0/20" && aws_subnet.private["eu-central-1b"].cidr_block == "10.42.16.0/20"
    error_message = "Subnets must be carved from the VPC CIDR in zone order (/20 with the default subnet_newbits)."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.private : s.map_public_ip_on_launch == false])
    error_message = "No subnet may assign public IPs."
  }

  assert {
    condition     = toset([for s in aws_subnet.private : s.availability_zone]) == toset(["eu-central-1a", "eu-central-1b"])
    error_message = "Subnets must sit in the requested zones."
  }

  assert {
    condition     = length(aws_route_table.private) == 2 && length(aws_route_table_association.private) == 2
    error_message = "Each subnet must have its own private route table."
  }
}

run "default_security_group_is_closed" {
  command = plan

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must have no ingress and no egress rules."
  }
}

run "security_groups_allow_https_only" {
  command = plan

  assert {
    condition = alltrue([
      for r in [
        aws_vpc_security_group_ingress_rule.sagemaker_https_from_self,
        aws_vpc_security_group_ingress_rule.endpoints_https_from_sagemaker,
        aws_vpc_security_group_egress_rule.sagemaker_https_to_self,
        aws_vpc_security_group_egress_rule.sagemaker_https_to_endpoints,
        aws_vpc_security_group_egress_rule.sagemaker_https_to_s3,
      ] : r.ip_protocol == "tcp" && r.from_port == 443 && r.to_port == 443
    ])
    error_message = "Every security group rule must be TCP 443 only."
  }

  assert {
    condition = alltrue([
      for r in [
        aws_vpc_security_group_ingress_rule.sagemaker_https_from_self,
        aws_vpc_security_group_ingress_rule.endpoints_https_from_sagemaker,
        aws_vpc_security_group_egress_rule.sagemaker_https_to_self,
        aws_vpc_security_group_egress_rule.sagemaker_https_to_endpoints,
        aws_vpc_security_group_egress_rule.sagemaker_https_to_s3,
      ] : r.cidr_ipv4 == null && r.cidr_ipv6 == null && length(r.description) > 0
    ])
    error_message = "No rule may open a CIDR range; every rule needs a description."
  }
}

run "vpc_endpoints" {
  command = plan

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.service_name == "com.amazonaws.eu-central-1.s3"
    error_message = "S3 must be reached through a gateway endpoint."
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["sagemaker.api", "sagemaker.runtime", "logs", "sts", "kms", "ecr.api", "ecr.dkr"])
    error_message = "The seven default interface endpoints must be planned."
  }

  assert {
    condition = alltrue([
      for svc, e in aws_vpc_endpoint.interface :
      e.vpc_endpoint_type == "Interface" && e.private_dns_enabled == true && e.service_name == "com.amazonaws.eu-central-1.${svc}"
    ])
    error_message = "Interface endpoints must be of type Interface, with private DNS, the regional service name and a subnet in each zone."
  }

  assert {
    condition     = aws_vpc_endpoint.interface["sagemaker.runtime"].service_name == "com.amazonaws.eu-central-1.sagemaker.runtime"
    error_message = "The SageMaker runtime endpoint must use the regional service name."
  }
}

run "flow_logs_to_encrypted_group" {
  command = plan

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.log_destination_type == "cloud-watch-logs"
    error_message = "Flow logs must capture ALL traffic into CloudWatch Logs."
  }

  assert {
    condition     = aws_flow_log.this.max_aggregation_interval == 60
    error_message = "Flow logs must aggregate over 60 seconds by default."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.name == "/aws/vpc/flow-logs/gxp-test"
    error_message = "The flow log group name must derive from name_prefix."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == var.flow_log_kms_key_arn
    error_message = "The flow log group must be encrypted with flow_log_kms_key_arn."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.retention_in_days == 365
    error_message = "The flow log group must keep records for 365 days by default."
  }
}

run "flow_logs_role_is_least_privilege" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.flow_logs.assume_role_policy).Statement[0].Principal.Service == "vpc-flow-logs.amazonaws.com"
    error_message = "Only vpc-flow-logs.amazonaws.com may assume the flow logs role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.flow_logs.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "The trust policy must pin aws:SourceAccount to the current account."
  }

  assert {
    condition = alltrue(flatten([
      for st in jsondecode(aws_iam_role_policy.flow_logs.policy).Statement : [
        for a in st.Action : a != "*" && startswith(a, "logs:")
      ]
    ]))
    error_message = "The flow logs role may only hold named logs: actions."
  }

  assert {
    condition = alltrue(flatten([
      for st in jsondecode(aws_iam_role_policy.flow_logs.policy).Statement : [
        for r in st.Resource : startswith(r, "arn:aws:logs:eu-central-1:123456789012:log-group:/aws/vpc/flow-logs/gxp-test")
      ]
    ]))
    error_message = "The flow logs role must be scoped to its own log group."
  }
}

run "endpoint_policies" {
  command = plan

  variables {
    s3_endpoint_bucket_arns = ["arn:aws:s3:::gxp-ml-datalake-123456789012", "arn:aws:s3:::gxp-ml-evidence-123456789012"]
  }

  assert {
    condition = toset(one([
      for s in jsondecode(aws_vpc_endpoint.s3.policy).Statement : s.Resource if s.Sid == "PlatformBucketsOfThisAccount"
    ])) == toset(["arn:aws:s3:::gxp-ml-datalake-123456789012", "arn:aws:s3:::gxp-ml-datalake-123456789012/*", "arn:aws:s3:::gxp-ml-evidence-123456789012", "arn:aws:s3:::gxp-ml-evidence-123456789012/*"])
    error_message = "The S3 gateway endpoint must reach only the platform's buckets."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_vpc_endpoint.s3.policy).Statement : s.Condition.StringEquals["aws:PrincipalAccount"] if s.Sid == "PlatformBucketsOfThisAccount"
    ]) == "123456789012"
    error_message = "The platform's buckets only for this account's principals."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_vpc_endpoint.s3.policy).Statement : s.Resource if s.Sid == "EcrImageLayers"
    ]) == ["arn:aws:s3:::prod-eu-central-1-starport-layer-bucket/*"]
    error_message = "Besides the platform's buckets only the region's ECR layer bucket, read-only."
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_vpc_endpoint.s3.policy).Statement : [for a in flatten([s.Action]) : a != "s3:*" && a != "*"]
    ]))
    error_message = "The S3 gateway endpoint policy must name actions."
  }

  assert {
    condition = alltrue([
      for svc, e in aws_vpc_endpoint.interface : jsondecode(e.policy).Statement[0].Condition.StringEquals["aws:PrincipalAccount"] == "123456789012"
    ])
    error_message = "Every interface endpoint must serve only this account's principals."
  }

  assert {
    condition     = jsondecode(aws_vpc_endpoint.interface["sagemaker.runtime"].policy).Statement[0].Action == ["sagemaker:*"] && jsondecode(aws_vpc_endpoint.interface["ecr.dkr"].policy).Statement[0].Action == ["ecr:*"]
    error_message = "Interface endpoint policies must be limited to their service's actions."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.skip_destroy == true
    error_message = "The flow log group must be kept on destroy by default."
  }
}
