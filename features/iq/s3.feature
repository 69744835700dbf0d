Feature: S3 buckets
  Three buckets: the data lake (training data, models, data capture), the evidence bucket (qualification
  evidence and CloudTrail logs, under Object Lock) and the access log bucket that receives the S3 server
  access logs of the other two.

  @URS_004
  Scenario Outline: The <name> bucket encrypts new objects with the KMS key for data at rest
    Given the <name> bucket
    Then default encryption is SSE-KMS with the KMS key for data at rest

    Examples:
      | name      |
      | data lake |
      | evidence  |

  @URS_004
  Scenario: The access log bucket encrypts with S3-managed keys, the only encryption S3 log delivery supports
    Given the access log bucket
    Then default encryption is SSE-S3 with AES256

  @URS_005
  Scenario Outline: The <name> bucket blocks all public access
    Given the <name> bucket
    Then all four public access block settings are on

    Examples:
      | name       |
      | data lake  |
      | evidence   |
      | access log |

  @URS_006
  Scenario Outline: The <name> bucket denies requests that are not sent over TLS
    Given the <name> bucket
    Then the bucket policy denies every request to the bucket and its objects that is not sent over TLS

    Examples:
      | name       |
      | data lake  |
      | evidence   |
      | access log |

  @URS_007
  Scenario Outline: The <name> bucket keeps every object version
    Given the <name> bucket
    Then versioning is enabled

    Examples:
      | name       |
      | data lake  |
      | evidence   |
      | access log |

  @URS_008
  Scenario Outline: The server access logs of the <name> bucket go to the separate access log bucket
    Given the <name> bucket
    Then server access logs are delivered to the access log bucket

    Examples:
      | name      |
      | data lake |
      | evidence  |

  @URS_025
  Scenario: The evidence bucket locks every new object version in the mode and for the period its environment requires
    Given the evidence bucket
    Then Object Lock is enabled
    And new object versions are retained by default in the mode and for the days the specification sets for the bucket's environment
