Feature: Personas
  Each persona's role is tried live, as that persona: IAM lets through what the persona's work needs and
  refuses the rest, whatever the caller asks for.

  @URS_060 @URS_061
  Scenario: A data scientist can create a training job in the VPC with KMS keys, isolation and encryption
    Given a session as the data scientist
    When the data scientist creates the platform's training job with every guard setting
    Then IAM lets the call through

  @URS_061 @negative
  Scenario: A data scientist cannot pass another role than the execution role
    Given a session as the data scientist
    When the data scientist creates a training job passing the validation role
    Then IAM refuses the call
    And the refusal names iam:PassRole

  @URS_062 @negative
  Scenario: An auditor cannot write or delete anything
    Given a session as the auditor
    When the auditor tries every write and delete probe
    Then IAM refuses every probe

  @URS_062
  Scenario: An auditor can read the platform's records
    Given a session as the auditor
    When the auditor reads the evidence bucket, the training jobs, the endpoints, the model registry and the trail
    Then IAM lets every read through

  @URS_063
  Scenario: The validation role can write evidence under evidence/
    Given a session as the validation role
    When the validation role writes an object under evidence/ in the evidence bucket
    Then IAM lets the call through

  @URS_063 @negative
  Scenario: The validation role cannot write outside evidence/
    Given a session as the validation role
    When the validation role writes an object outside evidence/ in the evidence bucket
    Then IAM refuses the call

  @URS_063 @negative
  Scenario: The validation role cannot delete evidence
    Given a session as the validation role
    When the validation role deletes an object under evidence/ in the evidence bucket
    Then IAM refuses the call

  @URS_064 @negative
  Scenario: An approver cannot train
    Given a session as the approver
    When the approver creates the platform's training job with every guard setting
    Then IAM refuses the call

  @URS_064 @negative
  Scenario: An approver cannot deploy
    Given a session as the approver
    When the approver creates an endpoint
    Then IAM refuses the call

  @URS_065 @negative
  Scenario: No persona can schedule deletion of the data key
    When every persona schedules deletion of the KMS key for data at rest
    Then IAM refuses every one of them
    And the KMS key for data at rest is still enabled

  @URS_065 @negative
  Scenario: No persona can disable the data key
    When every persona disables the KMS key for data at rest
    Then IAM refuses every one of them
    And the KMS key for data at rest is still enabled

  @URS_065
  Scenario: The data key's policy lets only its break-glass principals delete or disable it
    Given the KMS key for data at rest
    When IAM simulates deletion and disabling of the key under its live key policy for every principal
    Then IAM allows each break-glass principal the key policy names
    And IAM denies every persona even with kms:* in its own policies
