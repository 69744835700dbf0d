Feature: Customer-managed KMS keys
  The platform encrypts data at rest, training volumes, model artifacts and logs with keys of its own,
  one per purpose, that KMS rotates automatically. An asymmetric key signs the evidence manifests:
  KMS rotates no asymmetric key, so that key is checked for what it is instead.

  @URS_018
  Scenario Outline: The KMS key for <purpose> is customer-managed, enabled and rotated automatically
    Given the KMS key for <purpose>
    Then the key is enabled
    And the key is customer-managed
    And the key is a symmetric encryption key
    And key rotation is enabled

    Examples:
      | purpose           |
      | data at rest      |
      | training volumes  |
      | model artifacts   |
      | logs              |

  @URS_018
  Scenario: The KMS key for evidence signing is a customer-managed asymmetric signing key
    Given the KMS key for evidence signing
    Then the key is enabled
    And the key is customer-managed
    And the key is an asymmetric RSA key for signing and verification

  @URS_019
  Scenario Outline: The key policy of the KMS key for <purpose> names no wildcard principal
    Given the KMS key for <purpose>
    Then the key has a key policy
    And no statement of the key policy allows a wildcard principal
    And no statement of the key policy allows turning key rotation off

    Examples:
      | purpose           |
      | data at rest      |
      | training volumes  |
      | model artifacts   |
      | logs              |
      | evidence signing  |
