Feature: MLOps: the model's pipeline, drift monitoring of captured traffic, retraining
  The model's SageMaker pipeline splits and hashes the data, trains with the governance settings,
  evaluates AUC and calibration, and registers a version for a person's approval only when the
  acceptance criterion holds. A drift analysis of the endpoint's captured traffic runs as a processing
  job, reports in Model Monitor's formats, and a drift alarm starts the retraining state machine.

  @URS_075 @URS_076 @URS_077 @URS_078 @URS_079 @URS_080
  Scenario: A pipeline execution splits, trains, evaluates and registers a version for approval
    Given a pipeline execution started with the specification's acceptance thresholds
    Then the execution succeeded within the time the specification allows
    And its steps Preprocess, Train, Evaluate, CheckCriterion and RegisterModel succeeded in that order
    And the split manifest's SHA-256 values match the split objects in the data lake
    And every job of the execution ran VPC-only with network isolation and the platform's KMS keys
    And the evaluation property file holds the test split's AUC and calibration error
    And the registered version is PendingManualApproval and records who started the execution

  @URS_077 @URS_078 @URS_079 @negative
  Scenario: An execution whose model misses the acceptance criterion registers nothing
    Given a pipeline execution started with an unreachable AUC threshold
    Then the execution failed at the Fail step naming the acceptance criterion
    And the model package group gained no version from that execution

  @URS_082 @URS_083 @URS_084
  Scenario: In-distribution traffic gives no drift violation
    Given the traffic captured so far has been analysed
    And requests drawn from the training distribution are scored on the endpoint
    When the drift analysis runs over the traffic captured since the previous analysis
    Then the analysis job completed with a report in Model Monitor's formats
    And the baseline describes the training split's features
    And the analysis reports no violation
    And the per-feature drift figures are published to CloudWatch

  @URS_083 @URS_084 @URS_085 @negative
  Scenario: Shifted traffic is reported as drift of that feature and starts a retraining
    Given the drift alarm of missed_visit_rate is OK
    And requests whose missed visit rate is raised by 0.3 are scored on the endpoint
    When the drift analysis runs over the traffic captured since the previous analysis
    Then the analysis reports a baseline_drift_check violation for missed_visit_rate only
    And the drift alarm of missed_visit_rate is in ALARM
    And a retraining execution of the state machine starts within the time the specification allows
    And the retraining execution succeeds after starting and following the pipeline
    And a new model version waits for approval, recorded as trained by the state machine's role

  @URS_081 @URS_085 @URS_086
  Scenario: The pipeline, state machine and EventBridge roles are least privilege
    Then the pipeline role creates only governed pipeline jobs and passes only the execution role
    And the state machine role only starts and follows the pipeline and notifies the topic
    And the EventBridge role only starts the retraining state machine
