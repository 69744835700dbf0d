Feature: People's electronic signatures
  A person signs an evidence package as reviewed or approved, and approves model versions, with the
  platform's approvals key through the approver role, the person carried in the role session. Whoever
  executed a run, or trained a model, cannot sign it; approval comes only through the approver role;
  a signature is bound to the manifest it signs and verifies offline. A sample package is sealed here
  the way a qualification run seals its own, and signed in a temporary folder (nothing is archived).

  Background:
    Given the platform's approvals key and approver role

  @URS_034
  Scenario: A package executed by one identity is reviewed and approved by two other people and the chain verifies
    Given a sample evidence package executed by the suite's identity and sealed through KMS
    When "Rita Reviewer" signs it as reviewed through the approver role
    And "Alan Approver" signs it as approved through the approver role
    Then offline verification passes and shows the chain executed, reviewed, approved with each signer's session

  @URS_034 @negative
  Scenario: The executor's own approval is refused naming the separation-of-duties rule
    Given a sample evidence package executed by the suite's identity and sealed through KMS
    When the suite's identity signs it as approved
    Then the signature is refused by rule SOD-1 and no record is written

  @URS_034 @negative
  Scenario: One person cannot both review and approve
    Given a sample evidence package executed by the suite's identity and sealed through KMS
    When "Rita Reviewer" signs it as reviewed through the approver role
    And "Rita Reviewer" signs it as approved through the approver role
    Then the signature is refused by rule SOD-3 and no record is written

  @URS_034 @negative
  Scenario: A tampered approval fails offline verification
    Given a sample evidence package executed by the suite's identity and sealed through KMS
    When "Rita Reviewer" signs it as reviewed through the approver role
    And the reason of that signed record is changed
    Then offline verification fails naming the record as not matching its signature

  @URS_035
  Scenario: The latest model version records the identity that started its training
    Given the latest version in the model package group
    Then it records who trained it and, when approved, its approval description names the signer and the signed record

  @URS_035 @negative
  Scenario: The identity that trained a model version cannot approve it
    Given the model version the endpoint serves
    When its trainer approves it through the approver role
    Then the signature is refused by rule SOD-1 and the version's approval status is unchanged
