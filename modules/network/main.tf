data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

# The zones this account can use in the region: the input must name zones from it.
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:the list only validates the zones given as input (a precondition on each subnet); subnets are keyed by zone name, so a zone AWS adds never moves one
  state = "available"
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  # "com.amazonaws" in the commercial partition ("cn.com.amazonaws" in China).
  service_prefix = "${data.aws_partition.current.reverse_dns_prefix}.${local.region}"

  # One private subnet per availability zone, keyed by zone name, numbered by its position in the input.
  subnets = {
    for index, az in var.availability_zones : az => {
      index      = index
      cidr_block = cidrsubnet(var.vpc_cidr, var.subnet_newbits, index)
    }
  }

  # S3 gateway endpoint: the platform's buckets, for this account's principals only, plus the
  # AWS-owned bucket that holds ECR image layers (SageMaker pulls its images through it).
  s3_endpoint_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "PlatformBucketsOfThisAccount"
          Effect    = "Allow"
          Principal = { AWS = "*" }
          Action = [
            "s3:AbortMultipartUpload",
            "s3:GetBucketLocation",
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:ListBucket",
            "s3:ListMultipartUploadParts",
            "s3:PutObject",
          ]
          Resource  = concat(var.s3_endpoint_bucket_arns, [for arn in var.s3_endpoint_bucket_arns : "${arn}/*"])
          Condition = { StringEquals = { "aws:PrincipalAccount" = local.account_id } }
        }
      ],
      [
        {
          Sid       = "EcrImageLayers"
          Effect    = "Allow"
          Principal = { AWS = "*" }
          Action    = ["s3:GetObject"]
          Resource  = ["arn:${local.partition}:s3:::prod-${local.region}-starport-layer-bucket/*"]
        }
      ]
    )
  }

  # Interface endpoints: the service's own actions, only for this account's principals.
  interface_endpoint_action_prefix = {
    "sagemaker.api"     = "sagemaker"
    "sagemaker.runtime" = "sagemaker"
    "ecr.api"           = "ecr"
    "ecr.dkr"           = "ecr"
  }
  interface_endpoint_policies = {
    for svc in var.interface_endpoint_services : svc => {
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "ThisAccountOnly"
          Effect    = "Allow"
          Principal = { AWS = "*" }
          Action    = ["${lookup(local.interface_endpoint_action_prefix, svc, split(".", svc)[0])}:*"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:PrincipalAccount" = local.account_id } }
        }
      ]
    }
  }

  flow_log_group_name = "/aws/vpc/flow-logs/${var.name_prefix}"
  # Built from inputs (not from the resource) so the IAM policy is known at plan time.
  flow_log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.flow_log_group_name}"

  flow_logs_role_name = "${var.name_prefix}-vpc-flow-logs"

  flow_logs_assume_role_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowVpcFlowLogsService"
        Effect    = "Allow"
        Principal = { Service = "vpc-flow-logs.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-flow-log/*" }
        }
      }
    ]
  }

  flow_logs_role_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DescribeFlowLogGroup"
        Effect   = "Allow"
        Action   = ["logs:DescribeLogGroups"]
        Resource = [local.flow_log_group_arn, "${local.flow_log_group_arn}:*"]
      },
      {
        Sid      = "WriteFlowLogStreams"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        Resource = ["${local.flow_log_group_arn}:*", "${local.flow_log_group_arn}:log-stream:*"]
      }
    ]
  }
}

################################################################################
# VPC, private subnets and route tables (no internet gateway, no NAT)
################################################################################

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc" })
}

resource "aws_subnet" "private" {
  for_each = local.subnets

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value.cidr_block
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name_prefix}-private-${each.key}", Tier = "private" })

  lifecycle {
    precondition {
      condition     = contains(data.aws_availability_zones.available.names, each.key)
      error_message = "availability_zones: ${each.key} is not an available zone of ${local.region} (available: ${join(", ", data.aws_availability_zones.available.names)})."
    }
  }
}

# Only the implicit "local" route plus the S3 gateway endpoint route: nothing leaves the VPC
# except through VPC endpoints.
resource "aws_route_table" "private" {
  for_each = local.subnets

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-private-${each.key}", Tier = "private" })
}

resource "aws_route_table_association" "private" {
  for_each = local.subnets

  subnet_id      = aws_subnet.private[each.key].id
  route_table_id = aws_route_table.private[each.key].id
}

# The default security group is taken under management and stripped of every rule.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  ingress = []
  egress  = []

  tags = merge(var.tags, { Name = "${var.name_prefix}-default-closed" })
}

################################################################################
# Security groups: SageMaker workloads and the interface endpoints (HTTPS only)
################################################################################

resource "aws_security_group" "sagemaker" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module: the SageMaker model, training jobs and notebook receive it through the sagemaker_security_group_id output.
  name        = "${var.name_prefix}-sagemaker"
  description = "SageMaker training, model and notebook ENIs: HTTPS only, to VPC endpoints, S3 and each other"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-sagemaker" })
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name_prefix}-vpc-endpoints"
  description = "Interface VPC endpoints: HTTPS from the SageMaker security group only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "sagemaker_https_from_self" {
  security_group_id            = aws_security_group.sagemaker.id
  description                  = "HTTPS between SageMaker ENIs (distributed training, notebook to endpoint)"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.sagemaker.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-sagemaker-in-https-self" })
}

resource "aws_vpc_security_group_egress_rule" "sagemaker_https_to_self" {
  security_group_id            = aws_security_group.sagemaker.id
  description                  = "HTTPS between SageMaker ENIs (distributed training, notebook to endpoint)"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.sagemaker.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-sagemaker-out-https-self" })
}

resource "aws_vpc_security_group_egress_rule" "sagemaker_https_to_endpoints" {
  security_group_id            = aws_security_group.sagemaker.id
  description                  = "HTTPS to the interface VPC endpoints (SageMaker, Logs, STS, KMS, ECR)"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-sagemaker-out-https-endpoints" })
}

resource "aws_vpc_security_group_egress_rule" "sagemaker_https_to_s3" {
  security_group_id = aws_security_group.sagemaker.id
  description       = "HTTPS to Amazon S3 through the gateway endpoint (regional S3 prefix list)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-sagemaker-out-https-s3" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https_from_sagemaker" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from the SageMaker security group"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.sagemaker.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-endpoints-in-https-sagemaker" })
}

################################################################################
# VPC endpoints
################################################################################

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "${local.service_prefix}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [for az in var.availability_zones : aws_route_table.private[az].id]
  policy            = jsonencode(local.s3_endpoint_policy)

  tags = merge(var.tags, { Name = "${var.name_prefix}-s3-gateway" })
}

resource "aws_vpc_endpoint" "interface" {
  #policy-lint:skip=RESOURCE_STAR:an interface endpoint policy admits the service's own actions for this account's principals (aws:PrincipalAccount); which resources each principal reaches is its IAM and resource policies' business
  for_each = toset(var.interface_endpoint_services)

  vpc_id              = aws_vpc.this.id
  service_name        = "${local.service_prefix}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for az in var.availability_zones : aws_subnet.private[az].id]
  security_group_ids  = [aws_security_group.endpoints.id]
  policy              = jsonencode(local.interface_endpoint_policies[each.key])

  tags = merge(var.tags, { Name = "${var.name_prefix}-${replace(each.key, ".", "-")}" })
}

################################################################################
# Flow logs (ALL traffic) to a KMS-encrypted log group
################################################################################

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = local.flow_log_group_name
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.flow_log_kms_key_arn
  skip_destroy      = var.keep_log_groups_on_destroy

  tags = merge(var.tags, { Name = local.flow_log_group_name })
}

resource "aws_iam_role" "flow_logs" {
  name               = local.flow_logs_role_name
  description        = "Lets VPC Flow Logs deliver ${var.name_prefix} VPC flow records to ${local.flow_log_group_name}"
  assume_role_policy = jsonencode(local.flow_logs_assume_role_policy)

  tags = merge(var.tags, { Name = local.flow_logs_role_name })
}

resource "aws_iam_role_policy" "flow_logs" {
  #policy-lint:skip=RESOURCE_MISMATCH:parliament 1.6.4 knows logs:DescribeLogGroups only with Resource "*"; scoping it to the flow log group is stricter and what VPC Flow Logs needs
  name   = "${local.flow_logs_role_name}-delivery"
  role   = aws_iam_role.flow_logs.id
  policy = jsonencode(local.flow_logs_role_policy)
}

resource "aws_flow_log" "this" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = var.flow_log_max_aggregation_interval

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc-flow-log" })

  depends_on = [aws_iam_role_policy.flow_logs]
}
