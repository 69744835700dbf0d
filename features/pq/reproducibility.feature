Feature: Reproducible training
  The training job that produced the served model is run again through the SageMaker API: the same
  data (checked by SHA-256 against the model package's record), code, hyperparameters and seed. Both
  models score the held-out test split offline; the predictions must agree within the criterion.

  Background:
    Given the training job of the served model package

  @URS_045
  Scenario: Retraining on the same data with the same seed gives the same predictions
    When it is retrained through the SageMaker API unchanged
    Then the retraining job is Completed
    And the retraining job read the data whose SHA-256 the model package records
    And its predictions on the held-out test split meet the URS_045 criterion max_prediction_difference

  @URS_045 @negative
  Scenario: A retraining with another seed is told apart
    When it is retrained through the SageMaker API with the hyperparameter seed set to 7
    Then the retraining job is Completed
    And its predictions on the held-out test split fail the URS_045 criterion max_prediction_difference
