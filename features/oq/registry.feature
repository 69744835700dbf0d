Feature: Model registry and lineage
  The trained model is registered as a model package version, Approved only when an independent
  scoring of its artifact on the held-out test split reaches the acceptance criterion. Its lineage
  leads from the endpoint back to the dataset.

  Background:
    Given the latest approved model package

  @URS_012
  Scenario: The approved model package meets the AUC acceptance criterion on the held-out test split
    When its model artifact is downloaded and scored independently on the held-out test split
    Then the holdout AUC is at least the acceptance threshold
    And the model package records the same holdout AUC

  @URS_026
  Scenario: The lineage of the served model leads from the endpoint back to the training data
    Then the endpoint serves the model package's artifact through its endpoint configuration and model
    And the model package names the training job that produced its artifact
    And the model package records the SHA-256 of its artifact
    And the model package records the SHA-256 of the training data
    And the training job read the training data from the data lake
