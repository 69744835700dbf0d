Feature: Training
  The platform's latest training job trained the dropout-risk model on the processed data in the data
  lake, inside the private subnets, with encrypted volumes and output.

  Background:
    Given the latest training job of the platform

  @URS_010
  Scenario: The latest training job completed within its stopping condition and reported its metrics
    Then the training job is Completed
    And the training job ran no longer than its stopping condition allows
    And the training job reported its final metrics

  @URS_011
  Scenario: The training job ran in the private subnets with encrypted volumes and output
    Then the training job ran in the platform's private subnets with the SageMaker security group
    And the training job ran with network isolation
    And the training volume is encrypted with the KMS key for training volumes
    And the training output is encrypted with the KMS key for model artifacts

  @URS_011
  Scenario: The model artifact of the training job is stored encrypted with the KMS key for model artifacts
    Then the model artifact exists in S3
    And the model artifact is encrypted with the KMS key for model artifacts

  @URS_013
  Scenario: The training job's output is in the training jobs log group
    Then the training jobs log group has a log stream of the training job with its output
