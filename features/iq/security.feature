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
