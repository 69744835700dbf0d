Feature: SageMaker execution role
  Training jobs and the endpoint run as one execution role. Only SageMaker may assume it, and its
  permissions name the platform's own buckets, prefixes and keys.

  @URS_001
  Scenario: Only the SageMaker service can assume the execution role
    Given the SageMaker execution role
    Then the role can be assumed only by the service principal sagemaker.amazonaws.com

  @URS_002
  Scenario: The execution role grants no wildcard action and no unscoped resource
    Given the SageMaker execution role
    Then no policy of the role allows a wildcard action
    And no AWS-managed FullAccess policy is attached to the role
    And statements on the resource "*" allow only these actions, each under a condition:
      | action                           | why AWS requires the resource "*"               |
      | ec2:DescribeDhcpOptions          | EC2 Describe calls have no resource-level scope |
      | ec2:DescribeNetworkInterfaces    | EC2 Describe calls have no resource-level scope |
      | ec2:DescribeSecurityGroups       | EC2 Describe calls have no resource-level scope |
      | ec2:DescribeSubnets              | EC2 Describe calls have no resource-level scope |
      | ec2:DescribeVpcs                 | EC2 Describe calls have no resource-level scope |
      | ecr:GetAuthorizationToken        | the ECR token call has no resource-level scope  |
      | cloudwatch:PutMetricData         | CloudWatch metrics have no resource-level scope |
    And network interfaces may be managed only inside the platform VPC

  @URS_003
  Scenario: The execution role reaches only the platform's data and uses only the platform's keys
    Given the SageMaker execution role
    Then every S3 resource the role names is the data lake bucket or a prefix inside it
    And every KMS key the role names is one of the platform's keys
