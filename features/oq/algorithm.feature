Feature: The built-in XGBoost algorithm
  The seed's step 3 trains with the SageMaker XGBoost algorithm image and no script, and its step 4
  serves the model that image makes. The seed's create-training-job runs as written, with the
  platform's data lake for bayer-datalake, its execution role for the account placeholder, the train
  split's prefix (processed/ml/train/) and the algorithm's required num_round (with objective).

  @URS_070
  Scenario: The seed's training job on the algorithm image completes with an xgboost-model artifact
    When the seed's training job runs on the seed's image with hyperparameters "num_round=100,objective=binary:logistic"
    Then the algorithm training job is Completed
    And the model artifact of the algorithm training job holds only "xgboost-model"

  @URS_070 @URS_071 @negative
  Scenario: The seed's training job without num_round fails as the algorithm does
    When the seed's training job runs on the seed's image with hyperparameters "objective=binary:logistic"
    Then the algorithm training job failed with the reason "Missing required hyperparameter: num_round"
    And the algorithm training job left no model artifact

  @URS_071 @negative
  Scenario: A hyperparameter outside the algorithm's range fails the job
    When the seed's training job runs on the platform's training image with hyperparameters "num_round=10,subsample=0"
    Then the algorithm training job failed with the reason "Hyperparameter subsample: 0.0 is not in (0, 1]"
    And the algorithm training job left no model artifact

  @URS_072
  Scenario: The algorithm reports its validation metric and stops early on the validation channel
    When the algorithm image trains on the train and validation splits with hyperparameters "num_round=300,objective=binary:logistic,eta=0.3,max_depth=3,eval_metric=auc,early_stopping_rounds=5"
    Then the algorithm training job is Completed
    And the algorithm training job lists the algorithm's metric definitions
    And the algorithm training job reported "validation:auc" of at least the acceptance threshold
    And the algorithm training job stopped before num_round

  @URS_073
  Scenario: A model from the algorithm image without a script serves CSV rows
    Given an endpoint serving the seed's algorithm model without a script
    When the rows "72,1,0.85;45,0,0.10" are sent as "text/csv"
    Then one score in [0, 1] per row comes back, equal to the artifact's own prediction
    When the rows "72,1,0.85" are sent as "text/csv" accepting "application/json"
    Then the algorithm's JSON form comes back

  @URS_073 @URS_074 @negative
  Scenario: The algorithm endpoint refuses the seed's JSON body and stays in service
    Given an endpoint serving the seed's algorithm model without a script
    When the seed's request body is sent as "application/json"
    Then the request is refused with the algorithm's 415
    And the algorithm endpoint is still InService
