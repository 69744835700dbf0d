Feature: SageMaker model, endpoint configuration and model registry
  The deployed model runs isolated in the private subnets; the endpoint configuration encrypts the
  endpoint's storage and captures requests and responses into the data lake, encrypted.

  @URS_014
  Scenario: The SageMaker model is network-isolated and runs in the private subnets
    Given the deployed SageMaker model
    Then network isolation is enabled
    And the model runs in the platform's private subnets with the SageMaker security group

  @URS_015
  Scenario: The endpoint configuration encrypts the endpoint's storage
    Given the endpoint configuration
    Then the endpoint storage is encrypted with the KMS key for ML storage volumes

  @URS_017
  Scenario: The endpoint configuration captures requests and responses, encrypted
    Given the endpoint configuration
    Then data capture is enabled for requests and responses
    And captured data goes to the platform's data capture location
    And captured data is encrypted with the KMS key for data at rest

  @URS_012
  Scenario: The model registry group exists
    Given the model package group
    Then the model package group is ready
