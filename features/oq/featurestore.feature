Feature: Feature Store and Athena operate as intended
  Records put into the feature group are read back online and reach the offline store, where Athena
  counts them; malformed records and malformed queries are refused; whatever a query asks for, its
  results land encrypted in the workgroup's location. Each scenario puts subjects of its own (identifiers
  oq-<run>-<n>), never touching the ingested subjects the model trains on.

  @URS_094
  Scenario: Records put are read back online and appear in the offline store
    Given 25 new subjects put into the subjects' feature group
    Then each new subject is read back from the online store with the values put
    And an Athena count of the new subjects in the offline store equals 25 in time

  @URS_090 @negative
  Scenario Outline: A malformed record is rejected with a clear error and nothing is stored
    When a record <defect> is put into the subjects' feature group
    Then the put is rejected with ValidationError naming "<named>"
    And the online store holds no record of that subject

    Examples:
      | defect                        | named      |
      | without its record identifier | subject_id |
      | without its event time        | event_time |
      | with a non-integer age        | age        |
      | with an unknown feature       | height     |

  @URS_091 @URS_093 @negative
  Scenario: A query's results land encrypted in the workgroup's location whatever the query asked for
    Given 25 new subjects put into the subjects' feature group
    When an Athena query over them asks for its results elsewhere without encryption
    Then the query succeeds
    And its results are in the workgroup's output location encrypted with the KMS key for data at rest
    And nothing was written where the query asked

  @URS_093 @negative
  Scenario: A query with a syntax error is refused before it runs
    When an Athena query with a syntax error is started in the platform's workgroup
    Then Athena refuses it with InvalidRequestException

  @URS_095
  Scenario: Training data built from an Athena query over the offline store is hashed for the lineage
    Given 25 new subjects put into the subjects' feature group
    And the new subjects have reached the offline store
    When the training dataset of the new subjects is built from the Athena training query
    Then the dataset records the feature group, the query execution and the SHA-256 of its result object
    And the recorded SHA-256 equals that of the result object in the data lake
    And every split of the dataset is hashed and together they hold the 25 subjects
