Feature: Audit logging
  CloudWatch Logs keeps what training jobs, the endpoint, VPC flow logs and CloudTrail write, encrypted
  with the platform's key for logs and for at least a year. CloudTrail records management events in
  every region, with signed digest files.

  @URS_023
  Scenario Outline: The log group for <source> is encrypted and kept for at least 365 days
    Given the log group for <source>
    Then the log group is encrypted with the KMS key for logs
    And the log group retains events for at least the days the specification sets

    Examples:
      | source        |
      | training jobs |
      | the endpoint  |
      | VPC flow logs |
      | CloudTrail    |

  @URS_024
  Scenario: CloudTrail records management events of every region, validated and encrypted
    Given the platform trail
    Then the trail is logging
    And the trail is multi-region
    And log file validation is enabled
    And the trail is encrypted with the KMS key for logs
    And the trail records all read and write management events
