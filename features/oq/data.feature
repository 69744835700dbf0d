Feature: Training data
  Training, validation and test data sit in the data lake under processed/ml/<split>/ as CSV with the
  label first and no header (the SageMaker XGBoost convention). The SHA-256 of each split is recorded
  with the model it trained.

  @URS_009
  Scenario Outline: The <split> split is label-first, header-less CSV and its SHA-256 is recorded
    Given the <split> split in the data lake
    Then the split is stored under processed/ml/<split>/
    And every row is a 0/1 label followed by 3 numeric features, with no header
    And its SHA-256 equals the one recorded with the approved model package

    Examples:
      | split      |
      | train      |
      | validation |
      | test       |
