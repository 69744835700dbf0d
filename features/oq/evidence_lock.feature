Feature: Evidence retention under Object Lock
  What is written to the evidence bucket is kept: a locked object version can be neither deleted nor
  overwritten during its retention period. The probe object written here stays in the bucket until its
  retention ends, like any evidence.

  @URS_025 @URS_033 @negative
  Scenario: A locked evidence object version can be neither deleted nor overwritten
    Given the evidence bucket
    When a probe object is written to the evidence bucket under evidence/object-lock-probe/
    Then the object version is retained by the bucket's default Object Lock retention
    And deleting that object version is refused
    And writing the same key again creates a new version
    And the original version is still retrievable unchanged

  @URS_033 @negative
  Scenario: The retention of a locked evidence object version cannot be shortened or removed
    Given the evidence bucket
    When a probe object is written to the evidence bucket under qualification/object-lock-probe/
    Then the object version is retained by the bucket's default Object Lock retention
    And shortening that version's retention is refused
