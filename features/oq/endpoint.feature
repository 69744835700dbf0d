Feature: Inference endpoint
  The endpoint serves the approved model: the seed request, batches, invalid input, logging and data
  capture, checked through the sagemaker-runtime API exactly as a client calls it.

  Background:
    Given the SageMaker endpoint

  @URS_016
  Scenario: The endpoint is InService and serves the registered model artifact
    Then the endpoint is InService
    And the endpoint's production variant serves the approved model package's artifact

  @URS_027
  Scenario: The seed request returns the risk score the registered artifact computes offline
    When the client sends '{"features": [72, 1, 0.85]}' as application/json
    Then the answer is a JSON object with a risk_score between 0 and 1
    And the risk_score equals the registered artifact's own score within 1e-6

  @URS_027
  Scenario: Different subjects get different risk scores
    When the client scores the subjects one by one:
      | age | prior_dropout | missed_visit_rate |
      | 72  | 1             | 0.85              |
      | 30  | 0             | 0.05              |
      | 55  | 0             | 0.40              |
    Then every risk_score is between 0 and 1
    And the risk scores are not all the same
    And each risk_score equals the registered artifact's own score within 1e-6

  @URS_027 @negative
  Scenario: A request that does not follow the seed's schema gets no risk score
    When the client sends '{"subject": [72, 1, 0.85]}' as application/json
    Then the request is rejected with a client error whose message names "unexpected JSON key"
    And the endpoint is InService

  @URS_028
  Scenario: A batch request returns one risk score per row, in input order
    When the client sends the subjects as one batch of instances:
      | age | prior_dropout | missed_visit_rate |
      | 72  | 1             | 0.85              |
      | 30  | 0             | 0.05              |
      | 55  | 0             | 0.40              |
      | 81  | 1             | 0.60              |
    Then the answer holds one risk score per row, each between 0 and 1
    And each score equals the registered artifact's own score for its row within 1e-6

  @URS_029
  Scenario Outline: Invalid input is rejected: <problem>
    When the client sends '<body>' as <content type>
    Then the request is rejected with a client error whose message names "<named>"
    And the endpoint is InService
    And the endpoint still answers the seed request

    Examples:
      | problem                        | content type     | body                                     | named                     |
      | malformed JSON                 | application/json | {"features": [72, 1,                     | malformed JSON            |
      | too few features               | application/json | {"features": [72, 1]}                    | expected 3 features       |
      | too many features              | application/json | {"features": [72, 1, 0.85, 4]}           | expected 3 features       |
      | a non-numeric feature          | application/json | {"features": [72, "yes", 0.85]}          | expected a number         |
      | a NaN feature                  | application/json | {"features": [72, 1, NaN]}               | not a finite number       |
      | a boolean feature              | application/json | {"features": [72, true, 0.85]}           | boolean                   |
      | a null feature                 | application/json | {"features": [72, null, 0.85]}           | null                      |
      | an unknown key                 | application/json | {"feature": [72, 1, 0.85]}               | unexpected JSON key       |
      | an empty batch                 | application/json | {"instances": []}                        | empty                     |
      | an empty body                  | application/json |                                          | empty request body        |
      | a non-numeric CSV value        | text/csv         | 72,yes,0.85                              | non-numeric               |
      | an infinite CSV value          | text/csv         | 72,1,inf                                 | not a finite number       |
      | a CSV row with a label column  | text/csv         | 1,72,1,0.85                              | expected 3 features       |
      | an unsupported content type    | application/xml  | <subject age="72"/>                      | unsupported content type  |

  @URS_030
  Scenario: Every invocation is logged in the endpoint's CloudWatch log group
    When the client sends '{"features": [72, 1, 0.85]}' as application/json
    Then the invocation appears in the endpoint's log group within 30 seconds

  @URS_017
  Scenario: Captured requests and responses land in the data lake, encrypted with the KMS key for data at rest
    When the client sends '{"features": [64, 0, 0.3125]}' as application/json
    Then a capture of the invocation appears under the data capture location within 120 seconds
    And the data capture object is encrypted with the KMS key for data at rest
    And the data capture object holds the request and the response
