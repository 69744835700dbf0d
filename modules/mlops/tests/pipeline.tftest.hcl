# The pipeline definition: steps, governance settings on every job, the criterion, manual approval.

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:user/test" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-central-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  name_prefix              = "gxp-test"
  data_bucket_name         = "gxp-test-datalake-123456789012"
  execution_role_arn       = "arn:aws:iam::123456789012:role/gxp-test-sagemaker-execution"
  execution_role_name      = "gxp-test-sagemaker-execution"
  data_kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  model_kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/22222222-3333-4444-5555-666666666666"
  volume_kms_key_arn       = "arn:aws:kms:eu-central-1:123456789012:key/33333333-4444-5555-6666-777777777777"
  logs_kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/44444444-5555-6666-7777-888888888888"
  subnet_ids               = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
  security_group_ids       = ["sg-0a1b2c3d4e5f60001"]
  image_uri                = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
  inference_image_uri      = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
  model_package_group_name = "gxp-test-dropout-models"
  endpoint_name            = "dropout-inference"
  alarm_topic_arn          = "arn:aws:sns:eu-central-1:123456789012:gxp-test-alarms"
}

run "definition_has_the_steps_and_governance" {
  command = plan

  assert {
    condition     = jsondecode(aws_sagemaker_pipeline.this.pipeline_definition).Version == "2020-12-01"
    error_message = "The definition must use schema version 2020-12-01."
  }

  assert {
    condition     = [for s in jsondecode(aws_sagemaker_pipeline.this.pipeline_definition).Steps : s.Name] == ["Preprocess", "Train", "Evaluate", "CheckCriterion"]
    error_message = "Steps must be Preprocess, Train, Evaluate, CheckCriterion."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_sagemaker_pipeline.this.pipeline_definition).Steps : s.Arguments.NetworkConfig.EnableNetworkIsolation && s.Arguments.NetworkConfig.EnableInterContainerTrafficEncryption && jsonencode(s.Arguments.NetworkConfig.VpcConfig.Subnets) == jsonencode(var.subnet_ids) && s.Arguments.ProcessingResources.ClusterConfig.VolumeKmsKeyId == var.volume_kms_key_arn && s.Arguments.ProcessingOutputConfig.KmsKeyId == var.data_kms_key_arn if s.Type == "Processing"])
    error_message = "Every processing job must be VPC-only, isolated, with KMS on its volume and outputs."
  }

  assert {
    condition     = local.train_step.Arguments.EnableNetworkIsolation && local.train_step.Arguments.EnableInterContainerTrafficEncryption && local.train_step.Arguments.OutputDataConfig.KmsKeyId == var.model_kms_key_arn && local.train_step.Arguments.ResourceConfig.VolumeKmsKeyId == var.volume_kms_key_arn && local.train_step.Arguments.VpcConfig.Subnets == var.subnet_ids
    error_message = "The training job must be VPC-only, isolated, encrypted between containers, with KMS on volume and output."
  }

  assert {
    condition     = local.train_step.Arguments.HyperParameters.num_round == "100" && local.train_step.Arguments.HyperParameters.max_depth == "3" && local.train_step.Arguments.HyperParameters.eta == "0.1"
    error_message = "The training step must carry the seed's hyperparameters."
  }

  assert {
    condition     = local.register_step.Arguments.ModelApprovalStatus == "PendingManualApproval" && local.register_step.Arguments.CustomerMetadataProperties.trained_by == { Get = "Parameters.TrainedBy" }
    error_message = "Versions must be registered PendingManualApproval with the identity that started the execution."
  }

  assert {
    condition     = [for p in jsondecode(aws_sagemaker_pipeline.this.pipeline_definition).Parameters : p.DefaultValue if p.Name == "AucThreshold"] == [0.75]
    error_message = "The AUC threshold parameter must default to the variable."
  }

  assert {
    condition     = length(local.condition_step.Arguments.Conditions) == 2 && local.condition_step.Arguments.ElseSteps[0].Type == "Fail"
    error_message = "The criterion must check AUC and calibration, and fail the execution otherwise."
  }

  assert {
    condition     = aws_cloudwatch_log_group.processing.kms_key_id == var.logs_kms_key_arn && aws_cloudwatch_log_group.processing.name == "/aws/sagemaker/ProcessingJobs"
    error_message = "The processing log group must be encrypted with the logs key."
  }
}

run "pipeline_role_is_least_privilege" {
  command = plan

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.pipeline.statement : alltrue([for r in s.resources : r != "*"])])
    error_message = "The pipeline role must name its resources."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.pipeline.statement : s.resources if s.sid == "PassExecutionRoleToSageMaker"]) == toset([var.execution_role_arn])
    error_message = "The pipeline role may pass only the execution role."
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.pipeline.statement : s if s.sid == "CreateGovernedJobs" && length(s.condition) == 3]) == 1
    error_message = "Jobs may be created only with network isolation, the platform's subnets and the volume key."
  }
}

run "drift_alarms_per_feature" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.drift) == 3 && aws_cloudwatch_metric_alarm.drift["missed_visit_rate"].metric_name == "feature_baseline_drift_missed_visit_rate" && aws_cloudwatch_metric_alarm.drift["age"].threshold == 0.2
    error_message = "One alarm per feature on Model Monitor's drift metric, at the threshold."
  }
}

run "retraining_state_machine" {
  command = plan

  override_resource {
    target          = aws_sagemaker_pipeline.this
    override_during = plan
    values          = { arn = "arn:aws:sagemaker:eu-central-1:123456789012:pipeline/gxp-test-dropout-pipeline" }
  }

  assert {
    condition     = jsondecode(aws_sfn_state_machine.retraining.definition).States.StartPipeline.Resource == "arn:aws:states:::aws-sdk:sagemaker:startPipelineExecution" && jsondecode(aws_sfn_state_machine.retraining.definition).States.DescribePipeline.Resource == "arn:aws:states:::aws-sdk:sagemaker:describePipelineExecution"
    error_message = "The state machine must start the pipeline and poll it through the AWS SDK integration."
  }

  assert {
    condition     = jsondecode(aws_sfn_state_machine.retraining.definition).States.WaitForPipeline.Type == "Wait" && jsondecode(aws_sfn_state_machine.retraining.definition).States.PipelineDone.Type == "Choice" && jsondecode(aws_sfn_state_machine.retraining.definition).States.NotifySuccess.Resource == "arn:aws:states:::sns:publish"
    error_message = "The state machine must poll with Wait/Choice and notify on SNS."
  }

  assert {
    condition     = aws_sfn_state_machine.retraining.logging_configuration[0].level == "ALL" && aws_sfn_state_machine.retraining.tracing_configuration[0].enabled && aws_sfn_state_machine.retraining.encryption_configuration[0].kms_key_id == var.logs_kms_key_arn
    error_message = "The state machine must log, trace and encrypt with the platform's key."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.drift_alarm.event_pattern)["detail-type"] == ["CloudWatch Alarm State Change"] && jsondecode(aws_cloudwatch_event_rule.drift_alarm.event_pattern).detail.state.value == ["ALARM"]
    error_message = "The rule must start the retraining when a drift alarm goes to ALARM."
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.schedule) == 1 && aws_cloudwatch_event_rule.schedule[0].schedule_expression == "rate(7 days)"
    error_message = "A schedule must start the retraining too."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.sfn.statement : alltrue([for r in s.resources : r != "*"]) if !contains(["DeliverExecutionLogs", "Tracing"], s.sid)])
    error_message = "The state machine role must name its resources (except the two AWS requires as *)."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.events.statement : s.actions]) == toset(["states:StartExecution"])
    error_message = "The EventBridge role may only start the state machine."
  }
}

run "model_monitor_off_by_default" {
  command = plan

  assert {
    condition     = length(aws_sagemaker_data_quality_job_definition.this) == 0 && length(aws_sagemaker_monitoring_schedule.this) == 0
    error_message = "Model Monitor must stay off unless asked for."
  }
}

run "model_monitor_switch_uses_the_same_baseline" {
  command = plan

  variables {
    enable_model_monitor    = true
    model_monitor_image_uri = "048819808253.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
  }

  assert {
    condition     = aws_sagemaker_data_quality_job_definition.this[0].data_quality_baseline_config[0].constraints_resource[0].s3_uri == "s3://gxp-test-datalake-123456789012/models/monitoring/baseline/constraints.json" && aws_sagemaker_data_quality_job_definition.this[0].network_config[0].enable_network_isolation && aws_sagemaker_data_quality_job_definition.this[0].job_resources[0].cluster_config[0].volume_kms_key_id == var.volume_kms_key_arn
    error_message = "The Model Monitor check must use the platform's baseline, isolation and KMS."
  }

  assert {
    condition     = aws_sagemaker_monitoring_schedule.this[0].monitoring_schedule_config[0].monitoring_type == "DataQuality"
    error_message = "The schedule must run the data-quality check."
  }
}
