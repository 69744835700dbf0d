Feature: The endpoint under load
  Clients call the endpoint through the sagemaker-runtime API, concurrently, with the seed request.
  Latency is measured at the client, so the criteria hold for what a caller sees; the load's shape
  (clients, requests, duration) and the criteria come from the specification and are the same on
  every target.

  Background:
    Given the SageMaker endpoint

  @URS_043
  Scenario: Representative load keeps p95/p99 latency and the error rate within their criteria
    When the representative load of URS_043 is sent
    Then the error rate meets the URS_043 criterion max_error_rate
    And the p95 latency meets the URS_043 criterion max_p95_ms
    And the p99 latency meets the URS_043 criterion max_p99_ms

  @URS_043 @negative
  Scenario: Failed requests under load count against the error-rate criterion
    When the representative load of URS_043 is sent with every 10th request malformed
    Then every malformed request was refused with a client error
    And the error rate fails the URS_043 criterion max_error_rate

  @URS_044
  Scenario: Sustained load keeps the error rate and latency within their criteria in every window
    When the sustained load of URS_044 runs for its duration
    Then in every window the error rate meets the URS_044 criterion max_error_rate
    And in every window the p95 latency meets the URS_044 criterion max_p95_ms
    And in every window the p99 latency meets the URS_044 criterion max_p99_ms
    And across the windows the spread of the p95 latency meets the URS_044 criterion max_p95_spread
