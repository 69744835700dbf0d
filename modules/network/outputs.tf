output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_arn" {
  description = "ARN of the VPC."
  value       = aws_vpc.this.arn
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, in the order of var.availability_zones."
  value       = [for az in var.availability_zones : aws_subnet.private[az].id]
}

output "private_subnet_arns" {
  description = "ARNs of the private subnets, in the order of var.availability_zones."
  value       = [for az in var.availability_zones : aws_subnet.private[az].arn]
}

output "private_subnet_cidr_blocks" {
  description = "CIDR blocks of the private subnets, in the order of var.availability_zones."
  value       = [for az in var.availability_zones : aws_subnet.private[az].cidr_block]
}

output "route_table_ids" {
  description = "IDs of the private route tables (one per subnet), in the order of var.availability_zones."
  value       = [for az in var.availability_zones : aws_route_table.private[az].id]
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group (managed here with no rules)."
  value       = aws_default_security_group.this.id
}

output "sagemaker_security_group_id" {
  description = "ID of the security group for SageMaker models, training jobs and notebooks (HTTPS only)."
  value       = aws_security_group.sagemaker.id
}

output "sagemaker_security_group_arn" {
  description = "ARN of the SageMaker security group."
  value       = aws_security_group.sagemaker.arn
}

output "endpoints_security_group_id" {
  description = "ID of the security group of the interface VPC endpoints."
  value       = aws_security_group.endpoints.id
}

output "interface_endpoint_ids" {
  description = "IDs of the interface VPC endpoints, keyed by service suffix (e.g. \"sagemaker.api\")."
  value       = { for svc, endpoint in aws_vpc_endpoint.interface : svc => endpoint.id }
}

output "interface_endpoint_service_names" {
  description = "Full service names of the interface VPC endpoints, keyed by service suffix."
  value       = { for svc, endpoint in aws_vpc_endpoint.interface : svc => endpoint.service_name }
}

output "s3_gateway_endpoint_id" {
  description = "ID of the S3 gateway VPC endpoint."
  value       = aws_vpc_endpoint.s3.id
}

output "s3_prefix_list_id" {
  description = "ID of the regional S3 prefix list served by the gateway endpoint."
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "flow_log_id" {
  description = "ID of the VPC flow log."
  value       = aws_flow_log.this.id
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group receiving the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "flow_log_group_arn" {
  description = "ARN of the CloudWatch log group receiving the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.arn
}

output "flow_log_role_arn" {
  description = "ARN of the IAM role VPC Flow Logs assumes to write to the flow log group."
  value       = aws_iam_role.flow_logs.arn
}
