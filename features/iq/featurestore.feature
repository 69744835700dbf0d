Feature: Feature Store, Glue Data Catalog and Athena
  The subjects' features live in a SageMaker feature group: an online store with each subject's latest
  record and an offline store in the data lake, catalogued in the Glue Data Catalog and queried through
  an Athena workgroup whose settings no query can override.

  @URS_090
  Scenario: The subjects' feature group holds the model's features with their types
    Given the subjects' feature group
    Then its features are the record identifier, the event time, the model's features and the label, typed as specified

  @URS_091
  Scenario: The online and offline stores are encrypted with the platform's key for data at rest
    Given the subjects' feature group
    Then the online store is encrypted with the KMS key for data at rest
    And the offline store writes to the data lake encrypted with the KMS key for data at rest

  @URS_092
  Scenario: The offline store's Glue table matches the feature definitions
    Given the subjects' feature group
    Then the offline store's Glue table has a column of the matching type for every feature
    And the Glue table points at the offline store's location in the data lake

  @URS_093
  Scenario: The Athena workgroup enforces its result location, encryption and scan limit
    Given the platform's Athena workgroup
    Then the workgroup enforces its configuration on every query
    And query results go to the data lake encrypted with the KMS key for data at rest
    And a query may scan no more than the specification allows
