Feature: Model performance on held-out data
  The served model is scored through the endpoint on the held-out test split in the data lake, the
  object whose SHA-256 its model package records: discrimination (ROC AUC), calibration (Brier score
  and expected calibration error) and discrimination within each age band, each against its criterion
  in the specification.

  Background:
    Given the held-out test split of the served model package
    When every subject of the held-out test split is scored through the endpoint

  @URS_040
  Scenario: The endpoint's risk scores discriminate on the held-out test split
    Then the ROC AUC meets the URS_040 criterion min_auc

  @URS_040 @negative
  Scenario: Risk scores without discrimination fail the AUC criterion
    When the risk scores are shuffled across subjects
    Then the ROC AUC fails the URS_040 criterion min_auc

  @URS_041
  Scenario: The endpoint's risk scores are calibrated on the held-out test split
    Then the Brier score meets the URS_041 criterion max_brier
    And the expected calibration error meets the URS_041 criterion max_ece

  @URS_041 @negative
  Scenario: Miscalibrated risk scores with the same ranking fail the calibration criteria
    When the risk scores are raised to the power 0.3
    Then the ROC AUC meets the URS_040 criterion min_auc
    And the Brier score fails the URS_041 criterion max_brier
    And the expected calibration error fails the URS_041 criterion max_ece

  @URS_042
  Scenario: The endpoint's risk scores discriminate within every age band
    Then every age band of URS_042 holds enough dropouts to be judged
    And within every age band the ROC AUC meets the URS_042 criterion min_band_auc
