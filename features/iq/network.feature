Feature: Private network
  Training jobs and the endpoint run in private subnets of the platform VPC. Nothing routes to the
  internet; AWS services are reached through VPC endpoints; flow logs record all traffic.

  @URS_020
  Scenario: The platform VPC has no way to the internet
    Given the platform VPC
    Then no internet gateway is attached to the VPC
    And the VPC has no NAT gateway
    And no route of the VPC leads to an internet or NAT gateway

  @URS_020
  Scenario: The private subnets span two availability zones and assign no public IP addresses
    Given the platform VPC
    Then the platform's private subnets lie in the VPC in at least 2 availability zones
    And no subnet of the VPC assigns public IP addresses on launch

  @URS_020
  Scenario: The default security group of the VPC allows nothing
    Given the platform VPC
    Then the default security group has no inbound and no outbound rules

  @URS_021
  Scenario: The VPC reaches Amazon S3 through a gateway endpoint on the private route tables
    Given the platform VPC
    Then the VPC has a Gateway endpoint for s3
    And the endpoint is on the route table of every private subnet

  @URS_021
  Scenario Outline: The VPC reaches <service> through an interface endpoint
    Given the platform VPC
    Then the VPC has an Interface endpoint for <service>
    And the endpoint has private DNS enabled in the platform's private subnets

    Examples:
      | service           |
      | sagemaker.api     |
      | sagemaker.runtime |
      | sts               |
      | logs              |
      | kms               |
      | ecr.api           |
      | ecr.dkr           |

  @URS_022
  Scenario: VPC flow logs record all traffic of the platform VPC
    Given the platform VPC
    Then a flow log records ALL traffic of the VPC to CloudWatch Logs
    And the flow log is active and delivers to its log group
