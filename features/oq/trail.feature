Feature: The audit trail records who did what, and its record cannot be altered unnoticed
  CloudTrail records the platform's API calls with the caller's identity: management events in the
  event history (LookupEvents) and in the trail's log files, S3 data events on the data lake and
  evidence buckets in the log files only. The trail signs its log files in a chain of digest files, so
  a log file changed after delivery fails validation. Delivery waits and the validation window are
  the specification's, per environment (CloudTrail delivers within minutes in AWS, digests hourly).

  @URS_068
  Scenario: An evidence upload is recorded with the identity that made it
    Given the platform trail
    And the identity running the qualification
    When a probe object is uploaded to the evidence bucket under evidence/trail-probe/
    Then the trail's log files record the PutObject of that object by that identity

  @URS_068
  Scenario: The training job is recorded with the identity that created it
    Given the platform trail
    And the latest training job of the platform
    Then the event history holds the CreateTrainingJob call that created it, with the caller's identity
    And the trail's log files record the same call

  @URS_068 @negative
  Scenario: A refused call is recorded with the persona's identity and the refusal
    Given the platform trail
    And a session of the auditor role
    When the auditor attempts to create a model package group
    Then the call is refused as access denied
    And the event history holds the refused call with the auditor session's identity and the refusal
    And the trail's log files record the same call

  @URS_069
  Scenario: The trail's log files validate against their signed digest chain
    Given the platform trail
    When the trail's digest and log files of the validation window are validated
    Then there is at least one digest file and every digest file's signature and chain are valid
    And every log file's SHA-256 matches its digest

  @URS_069 @URS_024 @negative
  Scenario: A log file altered after delivery fails validation
    Given the platform trail
    When the trail's digest and log files of the validation window are validated
    And a copy of a delivered log file is altered in one record
    Then validating with the altered copy reports that log file's hash as not matching
    And every other file still validates
