Feature: Security controls of the platform (key custody, guards, audit, network, personas)
  The settings an independent security review asked for, read from the live platform.

  @URS_057
  Scenario Outline: The KMS key for <purpose> is an RSA signing key strong enough for the evidence's retention
    Given the KMS key for <purpose>
    Then the signing key is RSA with at least the specified number of bits

    Examples:
      | purpose             |
      | evidence signing    |
      | people's signatures |

  @URS_057
  Scenario: People sign with a key of their own that only the approver role and named reviewers may use
    Given the KMS key for people's signatures
    Then only the approver role and the named reviewers may sign with the key

  @URS_050
  Scenario Outline: The key policy of the KMS key for <purpose> keeps the key in named custody
    Given the KMS key for <purpose>
    Then the key policy gives the account root no administrative action
    And the key policy denies scheduling the key's deletion and disabling it to all but the break-glass principals
    And the key policy denies replacing it to all but the key administrators

    Examples:
      | purpose             |
      | data at rest        |
      | training volumes    |
      | model artifacts     |
      | logs                |
      | evidence signing    |
      | people's signatures |

  @URS_050 @negative
  Scenario: An identity allowed kms:* by IAM still cannot delete or disable the data key
    Given the KMS key for data at rest
    Then IAM's simulator denies the auditor role ScheduleKeyDeletion and DisableKey on the key even with kms:* allowed

  @URS_051
  Scenario: The evidence bucket is locked as its environment requires
    Given the evidence bucket
    Then new object versions are retained by default in the mode and for the days the specification sets for the bucket's environment

  @URS_051 @negative
  Scenario: The validation role cannot weaken the evidence bucket's lock or policy
    Given the evidence bucket
    Then the validation role is refused changing the bucket's Object Lock configuration and its policy

  @URS_052
  Scenario: The trail records object-level events of the data lake and the evidence bucket, not its own deliveries
    Given the platform trail
    Then the trail logs all management events
    And the trail logs S3 data events of the data lake and evidence buckets except its own delivery prefix

  @URS_052 @negative
  Scenario: The trail's delivered log files hold no data event on its own deliveries
    Given the platform trail
    Then no delivered log file of the trail records a data event under the trail's delivery prefix

  @URS_053
  Scenario: The S3 gateway endpoint reaches only the platform's buckets and AWS's image layers
    Given the platform VPC
    Then the VPC has a Gateway endpoint for s3
    And the endpoint policy allows only the platform's buckets for the platform's account and the region's ECR image layers

  @URS_053
  Scenario: Every interface endpoint serves only its service, for the platform's account
    Given the platform VPC
    Then every interface endpoint's policy allows only its service's actions to the platform's account

  @URS_054
  Scenario: Security events raise alarms on a KMS-encrypted topic that trail deliveries do not notify
    Given the platform trail
    Then the trail's log group has a metric filter and an enabled alarm for each security event:
      | event                   |
      | root-account-use        |
      | trail-tampering         |
      | bucket-policy-change    |
      | kms-disable-or-deletion |
      | iam-policy-change       |
    And the alarm topic is encrypted with the KMS key for logs
    And the trail's delivery notifications do not go to the alarm topic

  @URS_055
  Scenario: Every persona role trusts only named principals, the auditor with MFA where required
    Given the persona roles
    Then each persona role can be assumed only by named IAM roles or users of known accounts
    And the auditor role requires MFA as the specification sets for the platform's environment

  @URS_055 @negative
  Scenario: A persona cannot become another persona: the validation role cannot become the approver
    Given the persona roles
    Then a validation session is refused assuming the approver role

  @URS_056
  Scenario Outline: The <name> bucket refuses plain HTTP and TLS older than the specified version
    Given the <name> bucket
    Then the bucket policy denies every request sent without TLS or with TLS older than the specified version

    Examples:
      | name       |
      | data lake  |
      | evidence   |
      | access log |

  @URS_058
  Scenario: The private subnets lie in zones the region makes available
    Given the platform VPC
    Then every private subnet lies in an available zone of the region, across the specified number of zones

  @URS_059
  Scenario: The execution role uses the platform's keys only through S3, SageMaker and EC2
    Given the SageMaker execution role
    Then every KMS permission of the role is limited by kms:ViaService to S3, SageMaker and EC2 of the region
    And grants may be created only for AWS resources
