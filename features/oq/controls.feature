Feature: Controls refuse what they must refuse
  Each high-risk control is tried the way a mistake or an attacker would try it, through the AWS API,
  and must refuse. A refused call changes nothing; what a scenario creates to try a control (a corrupt
  dataset, a deliberately poor model) is removed again or kept as evidence, and a control that wrongly
  accepts is undone at once and fails the scenario.

  @URS_001 @negative
  Scenario: Assuming the execution role as anyone but SageMaker is refused
    Given the platform's SageMaker execution role
    When the qualification's own identity tries to assume the execution role
    Then the request is refused with AccessDenied

  @URS_002 @negative
  Scenario Outline: IAM denies the execution role <action> on <resource>
    Given the platform's SageMaker execution role
    When IAM simulates the execution role calling <action> on <resource>
    Then IAM's decision is a deny

    Examples:
      | action                   | resource                          |
      | iam:CreateUser           | any resource                      |
      | s3:GetObject             | an object outside the platform    |
      | kms:ScheduleKeyDeletion  | the KMS key for data at rest      |
      | sagemaker:DeleteEndpoint | the platform's endpoint           |

  @URS_005 @negative
  Scenario Outline: Making the <name> bucket public is refused
    Given the <name> bucket
    When a statement allowing anyone to read is added to the bucket policy
    Then the request is refused with AccessDenied
    And the bucket policy is unchanged

    Examples:
      | name       |
      | data lake  |
      | evidence   |

  @URS_006 @negative
  Scenario Outline: A request to the <name> bucket over plain HTTP is refused
    Given the <name> bucket
    When the bucket is listed over plain HTTP
    Then the request is refused with AccessDenied

    Examples:
      | name       |
      | data lake  |
      | evidence   |
      | access log |

  @URS_010 @negative
  Scenario: A training job on a corrupt dataset fails and says why
    Given a corrupt training dataset in the data lake
    When a training job is run on it with the platform's training settings
    Then the training job ends Failed within its stopping condition
    And its failure reason names the corrupt data

  @URS_012 @negative
  Scenario: A model below the AUC criterion is registered Rejected and never served
    Given a model trained on shuffled labels
    When the registration gate scores it on the held-out test split and registers it
    Then its holdout AUC is below the specification's criterion
    And the registry holds it as Rejected
    And the latest approved model package is unchanged

  @URS_016 @negative
  Scenario: Invoking an endpoint that is not deployed is refused
    When the client invokes an endpoint that is not deployed
    Then the invocation is refused with a ValidationError naming that endpoint

  @URS_018 @negative
  Scenario Outline: The KMS key for <purpose> refuses to <operation>
    Given the KMS key for <purpose>
    When the key is asked to <operation>
    Then KMS refuses with InvalidKeyUsageException

    Examples:
      | purpose          | operation    |
      | evidence signing | encrypt data |
      | data at rest     | sign         |
      | logs             | sign         |

  @URS_011 @URS_020 @URS_060 @negative
  Scenario Outline: The data scientist cannot start a training job without its <guard>
    Given a session of the data scientist persona
    When the persona requests the platform's training job without its <guard>
    Then the persona is refused as access denied

    Examples:
      | guard             |
      | VPC configuration |
      | KMS keys          |

  @URS_014 @negative
  Scenario: The data scientist cannot create a model without network isolation
    Given a session of the data scientist persona
    When the persona creates a model of the served artifact without network isolation
    Then the persona is refused as access denied

  @URS_015 @negative
  Scenario: The data scientist cannot create an endpoint configuration without a KMS key
    Given a session of the data scientist persona
    When the persona creates an endpoint configuration of the served model without a KMS key
    Then the persona is refused as access denied

  @URS_019 @negative
  Scenario Outline: The auditor cannot use the KMS key for <purpose>
    Given a session of the auditor persona
    When the persona asks the KMS key for <purpose> to encrypt data
    Then the persona is refused as access denied

    Examples:
      | purpose          |
      | data at rest     |
      | logs             |

  @URS_023 @negative
  Scenario: The auditor cannot shorten the retention of the training jobs log group
    Given a session of the auditor persona
    When the persona sets the retention of the training jobs log group to 1 day
    Then the persona is refused as access denied
    And the log group still retains events for at least the days the specification sets

  @URS_004 @negative
  Scenario Outline: A write to the <name> bucket asking for S3-managed encryption is refused
    Given the <name> bucket
    When an object is put into the bucket asking for S3-managed encryption (AES256)
    Then the request is refused with AccessDenied
    And the same write without encryption headers is stored SSE-KMS with the KMS key for data at rest

    Examples:
      | name      |
      | data lake |
      | evidence  |

  @URS_017 @negative
  Scenario: A capture written to the endpoint's capture location with S3-managed encryption is refused
    Given the endpoint's live data capture location
    When an object is put under the data capture location asking for S3-managed encryption (AES256)
    Then the request is refused with AccessDenied
    And the same write without encryption headers is stored SSE-KMS with the KMS key for data at rest

  @URS_021 @negative
  Scenario: The S3 gateway endpoint's live policy denies buckets outside the platform
    Given the live policy of the platform VPC's S3 gateway endpoint
    When IAM simulates s3:GetObject and s3:PutObject on a bucket outside the platform under the endpoint policy
    Then IAM's decision is a deny
    When IAM simulates s3:GetObject and s3:PutObject on the data lake under the endpoint policy
    Then IAM's decision is an allow
