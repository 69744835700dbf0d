data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  sagemaker  = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  bucket_arn = "arn:${local.partition}:s3:::${var.data_bucket_name}"

  pipeline_name      = "${var.name_prefix}-dropout-pipeline"
  pipeline_role_name = "${var.name_prefix}-pipeline"
  processing_logs    = "/aws/sagemaker/ProcessingJobs"

  s3_root          = "s3://${var.data_bucket_name}/${var.pipeline_prefix}"
  code_processing  = "${local.s3_root}code/processing/"
  code_training    = "${local.s3_root}code/training/"
  run_root         = "${local.s3_root}runs"
  container_python = ["python3", "/opt/ml/processing/input/code/steps.py"]

  # Every job of the pipeline: VPC-only, network isolation, KMS on volumes and outputs.
  network_config = {
    EnableInterContainerTrafficEncryption = true
    EnableNetworkIsolation                = true
    VpcConfig = {
      SecurityGroupIds = var.security_group_ids
      Subnets          = var.subnet_ids
    }
  }
  processing_resources = {
    ClusterConfig = {
      InstanceCount  = 1
      InstanceType   = "ml.m5.large"
      VolumeSizeInGB = 30
      VolumeKmsKeyId = var.volume_kms_key_arn
    }
  }

  # An S3 location under this execution's folder: s3://<bucket>/<prefix>runs/<execution id>/<leaf>.
  run_uri = { for leaf in ["data", "evaluation"] : leaf => {
    "Std:Join" = { On = "/", Values = [local.run_root, { Get = "Execution.PipelineExecutionId" }, leaf] }
  } }

  s3_input = { for name, spec in {
    code  = [local.code_processing, "/opt/ml/processing/input/code"]
    data  = [{ Get = "Parameters.InputDataUrl" }, "/opt/ml/processing/input/data"]
    model = [{ Get = "Steps.Train.ModelArtifacts.S3ModelArtifacts" }, "/opt/ml/processing/model"]
    test  = [{ Get = "Steps.Preprocess.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri" }, "/opt/ml/processing/test"]
    } : name => {
    InputName = name
    S3Input = {
      S3Uri                  = spec[0]
      LocalPath              = spec[1]
      S3DataType             = "S3Prefix"
      S3InputMode            = "File"
      S3DataDistributionType = "FullyReplicated"
    }
  } }

  split_outputs = [for split in ["train", "validation", "test", "manifest"] : {
    OutputName = split
    S3Output = {
      S3Uri        = { "Std:Join" = { On = "/", Values = [local.run_uri.data, split] } }
      LocalPath    = "/opt/ml/processing/output/${split}"
      S3UploadMode = "EndOfJob"
    }
  }]

  metric_number = "([-+]?[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?)"
  # The training entry point's MetricDefinitions (harness.ml.train.METRIC_DEFINITIONS).
  metric_definitions = [for pair in setproduct(["train", "validation"], ["auc", "logloss"]) : {
    Name  = "${pair[0]}:${pair[1]}"
    Regex = ".*\\[[0-9]+\\].*#011${pair[0]}-${pair[1]}:${local.metric_number}.*"
  }]

  evaluation_report = { Get = "Steps.Evaluate.PropertyFiles.EvaluationReport" }
  auc_value         = { "Std:JsonGet" = { PropertyFile = local.evaluation_report, Path = "metrics.auc.value" } }
  ece_value         = { "Std:JsonGet" = { PropertyFile = local.evaluation_report, Path = "metrics.calibration.ece.value" } }

  preprocess_step = {
    Name        = "Preprocess"
    Type        = "Processing"
    Description = "Split the prepared dataset by row hash into train/validation/test and record SHA-256 of each file."
    Arguments = {
      AppSpecification = {
        ImageUri            = var.image_uri
        ContainerEntrypoint = local.container_python
        ContainerArguments  = ["preprocess", "--input", "/opt/ml/processing/input/data", "--output", "/opt/ml/processing/output"]
      }
      RoleArn                = var.execution_role_arn
      ProcessingResources    = local.processing_resources
      NetworkConfig          = local.network_config
      StoppingCondition      = { MaxRuntimeInSeconds = 900 }
      ProcessingInputs       = [local.s3_input.code, local.s3_input.data]
      ProcessingOutputConfig = { Outputs = local.split_outputs, KmsKeyId = var.data_kms_key_arn }
    }
  }

  train_step = {
    Name        = "Train"
    Type        = "Training"
    Description = "XGBoost (script mode) with the seed's hyperparameters, VPC-only, network isolation, KMS, encrypted inter-container traffic."
    Arguments = {
      AlgorithmSpecification = {
        TrainingImage     = var.image_uri
        TrainingInputMode = "File"
        MetricDefinitions = local.metric_definitions
      }
      RoleArn = var.execution_role_arn
      HyperParameters = merge(var.hyperparameters, {
        sagemaker_program          = jsonencode("train.py")
        sagemaker_submit_directory = jsonencode("/opt/ml/input/data/code/sourcedir.tar.gz")
      })
      InputDataConfig = [for channel in [
        ["train", { Get = "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" }, "text/csv"],
        ["validation", { Get = "Steps.Preprocess.ProcessingOutputConfig.Outputs['validation'].S3Output.S3Uri" }, "text/csv"],
        ["code", local.code_training, null],
        ] : merge({
          ChannelName = channel[0]
          InputMode   = "File"
          DataSource = { S3DataSource = {
            S3DataType             = "S3Prefix"
            S3Uri                  = channel[1]
            S3DataDistributionType = "FullyReplicated"
          } }
      }, channel[2] == null ? {} : { ContentType = channel[2] })]
      OutputDataConfig = {
        S3OutputPath = { "Std:Join" = { On = "/", Values = [local.run_root, { Get = "Execution.PipelineExecutionId" }, "model"] } }
        KmsKeyId     = var.model_kms_key_arn
      }
      ResourceConfig = {
        InstanceType   = "ml.m5.xlarge"
        InstanceCount  = 1
        VolumeSizeInGB = 30
        VolumeKmsKeyId = var.volume_kms_key_arn
      }
      StoppingCondition                     = { MaxRuntimeInSeconds = 900 }
      VpcConfig                             = local.network_config.VpcConfig
      EnableNetworkIsolation                = true
      EnableInterContainerTrafficEncryption = true
    }
  }

  evaluate_step = {
    Name        = "Evaluate"
    Type        = "Processing"
    Description = "ROC AUC and calibration (expected calibration error, Brier) of the trained model on the test split."
    Arguments = {
      AppSpecification = {
        ImageUri            = var.image_uri
        ContainerEntrypoint = local.container_python
        ContainerArguments  = ["evaluate", "--model", "/opt/ml/processing/model", "--test", "/opt/ml/processing/test", "--output", "/opt/ml/processing/evaluation"]
      }
      RoleArn             = var.execution_role_arn
      ProcessingResources = local.processing_resources
      NetworkConfig       = local.network_config
      StoppingCondition   = { MaxRuntimeInSeconds = 900 }
      ProcessingInputs    = [local.s3_input.code, local.s3_input.model, local.s3_input.test]
      ProcessingOutputConfig = {
        Outputs = [{
          OutputName = "evaluation"
          S3Output   = { S3Uri = local.run_uri.evaluation, LocalPath = "/opt/ml/processing/evaluation", S3UploadMode = "EndOfJob" }
        }]
        KmsKeyId = var.data_kms_key_arn
      }
    }
    PropertyFiles = [{ PropertyFileName = "EvaluationReport", OutputName = "evaluation", FilePath = "evaluation.json" }]
  }

  register_step = {
    Name        = "RegisterModel"
    Type        = "RegisterModel"
    Description = "Register the version as PendingManualApproval: a person approves it."
    Arguments = {
      ModelPackageGroupName   = var.model_package_group_name
      ModelPackageDescription = { "Std:Join" = { On = " ", Values = ["XGBoost dropout-risk model from pipeline execution", { Get = "Execution.PipelineExecutionId" }] } }
      ModelApprovalStatus     = "PendingManualApproval"
      InferenceSpecification = {
        Containers = [{
          Image        = var.inference_image_uri
          ModelDataUrl = { Get = "Steps.Train.ModelArtifacts.S3ModelArtifacts" }
          Environment  = { SAGEMAKER_PROGRAM = "inference.py", SAGEMAKER_SUBMIT_DIRECTORY = "/opt/ml/model/code" }
        }]
        SupportedContentTypes                   = ["application/json", "text/csv"]
        SupportedResponseMIMETypes              = ["application/json", "text/csv"]
        SupportedRealtimeInferenceInstanceTypes = ["ml.m5.large"]
      }
      ModelMetrics = {
        ModelQuality = {
          Statistics = {
            ContentType = "application/json"
            S3Uri       = { "Std:Join" = { On = "/", Values = [local.run_uri.evaluation, "evaluation.json"] } }
          }
        }
      }
      CustomerMetadataProperties = {
        trained_by            = { Get = "Parameters.TrainedBy" }
        pipeline_execution    = { Get = "Execution.PipelineExecutionArn" }
        training_job          = { Get = "Steps.Train.TrainingJobName" }
        holdout_auc           = { "Std:Join" = { On = "", Values = [local.auc_value] } }
        auc_threshold         = { "Std:Join" = { On = "", Values = [{ Get = "Parameters.AucThreshold" }] } }
        calibration_ece       = { "Std:Join" = { On = "", Values = [local.ece_value] } }
        max_calibration_error = { "Std:Join" = { On = "", Values = [{ Get = "Parameters.MaxCalibrationError" }] } }
      }
    }
  }

  fail_step = {
    Name = "CriterionNotMet"
    Type = "Fail"
    Arguments = {
      ErrorMessage = { "Std:Join" = { On = " ", Values = [
        "Acceptance criterion not met: AUC", local.auc_value, "(at least", { Get = "Parameters.AucThreshold" },
        "), calibration error", local.ece_value, "(at most", { Get = "Parameters.MaxCalibrationError" }, ")",
      ] } }
    }
  }

  condition_step = {
    Name        = "CheckCriterion"
    Type        = "Condition"
    Description = "The model's acceptance criterion: AUC and calibration on the test split."
    Arguments = {
      Conditions = [
        { Type = "GreaterThanOrEqualTo", LeftValue = local.auc_value, RightValue = { Get = "Parameters.AucThreshold" } },
        { Type = "LessThanOrEqualTo", LeftValue = local.ece_value, RightValue = { Get = "Parameters.MaxCalibrationError" } },
      ]
      IfSteps   = [local.register_step]
      ElseSteps = [local.fail_step]
    }
  }

  pipeline_definition = {
    Version  = "2020-12-01"
    Metadata = {}
    Parameters = [
      { Name = "InputDataUrl", Type = "String", DefaultValue = "s3://${var.data_bucket_name}/${var.input_prefix}" },
      { Name = "AucThreshold", Type = "Float", DefaultValue = var.auc_threshold },
      { Name = "MaxCalibrationError", Type = "Float", DefaultValue = var.max_calibration_error },
      { Name = "TrainedBy", Type = "String", DefaultValue = "unknown" },
    ]
    PipelineExperimentConfig = {
      ExperimentName = { Get = "Execution.PipelineName" }
      TrialName      = { Get = "Execution.PipelineExecutionId" }
    }
    Steps = [local.preprocess_step, local.train_step, local.evaluate_step, local.condition_step]
  }
}

# --- pipeline role: creates the pipeline's jobs and model package versions, passes the execution role ---

data "aws_iam_policy_document" "pipeline_trust" {
  statement {
    sid     = "SageMakerOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "pipeline" {
  # Jobs only with this pipeline's names, only VPC-only, isolated and with the volume key.
  statement {
    sid       = "CreateGovernedJobs"
    effect    = "Allow"
    actions   = ["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob"]
    resources = ["${local.sagemaker}:processing-job/pipelines-*", "${local.sagemaker}:training-job/pipelines-*"]

    condition {
      test     = "Bool"
      variable = "sagemaker:NetworkIsolation"
      values   = ["true"]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "sagemaker:VpcSubnets"
      values   = var.subnet_ids
    }

    condition {
      test     = "ArnEquals"
      variable = "sagemaker:VolumeKmsKey"
      values   = [var.volume_kms_key_arn]
    }
  }

  statement {
    sid    = "FollowJobs"
    effect = "Allow"
    actions = [
      "sagemaker:AddTags",
      "sagemaker:DescribeProcessingJob",
      "sagemaker:DescribeTrainingJob",
      "sagemaker:StopProcessingJob",
      "sagemaker:StopTrainingJob",
    ]
    resources = ["${local.sagemaker}:processing-job/pipelines-*", "${local.sagemaker}:training-job/pipelines-*"]
  }

  statement {
    sid    = "RegisterVersions"
    effect = "Allow"
    actions = [
      "sagemaker:CreateModelPackage",
      "sagemaker:DescribeModelPackage",
      "sagemaker:DescribeModelPackageGroup",
    ]
    resources = [
      "${local.sagemaker}:model-package-group/${var.model_package_group_name}",
      "${local.sagemaker}:model-package/${var.model_package_group_name}/*",
    ]
  }

  statement {
    sid       = "PassExecutionRoleToSageMaker"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = [var.execution_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  # Property files (evaluation.json) are read by the pipeline service with this role.
  statement {
    sid       = "ReadPropertyFiles"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/${var.pipeline_prefix}runs/*"]
  }

  statement {
    sid       = "DecryptPropertyFiles"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = [var.data_kms_key_arn]
  }
}

resource "aws_iam_role" "pipeline" {
  name                 = local.pipeline_role_name
  description          = "SageMaker Pipelines role of ${local.pipeline_name}: creates its jobs and model package versions."
  assume_role_policy   = data.aws_iam_policy_document.pipeline_trust.json
  max_session_duration = 3600
  tags                 = merge(var.tags, { Name = local.pipeline_role_name })
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "pipeline"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

# Processing jobs log to a group of their own, encrypted and retained like the platform's other logs.
resource "aws_cloudwatch_log_group" "processing" {
  name              = local.processing_logs
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

# The execution role runs the processing jobs: it may write their log streams (and nothing else here).
data "aws_iam_policy_document" "execution_processing_logs" {
  statement {
    sid       = "ProcessingJobLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_group.processing.arn, "${aws_cloudwatch_log_group.processing.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution_processing_logs" {
  name   = "processing-job-logs"
  role   = var.execution_role_name
  policy = data.aws_iam_policy_document.execution_processing_logs.json
}

resource "aws_sagemaker_pipeline" "this" {
  pipeline_name         = local.pipeline_name
  pipeline_display_name = local.pipeline_name
  pipeline_description  = "Split and hash the data, train, evaluate (AUC, calibration), check the criterion, register PendingManualApproval."
  role_arn              = aws_iam_role.pipeline.arn
  pipeline_definition   = jsonencode(local.pipeline_definition)

  parallelism_configuration {
    max_parallel_execution_steps = 1
  }

  tags = var.tags
}

# --- drift monitoring: the analysis publishes per-feature figures as Model Monitor does; one alarm each ---

resource "aws_cloudwatch_metric_alarm" "drift" {
  for_each = toset(var.monitored_features)

  alarm_name          = "${var.name_prefix}-drift-${each.value}"
  alarm_description   = "Baseline drift of ${each.value} in the traffic captured from ${var.endpoint_name} exceeds ${var.drift_threshold}."
  namespace           = "aws/sagemaker/Endpoints/data-metrics"
  metric_name         = "feature_baseline_drift_${each.value}"
  dimensions          = { Endpoint = var.endpoint_name, MonitoringSchedule = "${var.name_prefix}-drift" }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = var.drift_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
  tags                = var.tags
}

# --- retraining: EventBridge (drift alarm, schedule) -> Step Functions -> pipeline -> SNS ---

locals {
  state_machine_name = "${var.name_prefix}-retraining"
  sfn_log_group      = "/aws/vendedlogs/states/${local.state_machine_name}"
  sdk_retry = [{
    ErrorEquals     = ["SageMaker.ThrottlingException", "SageMaker.InternalFailure", "SageMaker.ServiceUnavailable"]
    IntervalSeconds = 2
    MaxAttempts     = 3
    BackoffRate     = 2
  }]
  to_failure = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "NotifyFailure" }]

  retraining_definition = {
    Comment = "Retrain the dropout-risk model: start its SageMaker pipeline, poll it, notify the outcome."
    StartAt = "StartPipeline"
    States = {
      StartPipeline = {
        Type     = "Task"
        Resource = "arn:aws:states:::aws-sdk:sagemaker:startPipelineExecution"
        Parameters = {
          PipelineName                     = local.pipeline_name
          "PipelineExecutionDisplayName.$" = "States.Format('retrain-{}', $$.Execution.Name)"
          "PipelineExecutionDescription.$" = "States.Format('Started by {}', $$.Execution.Id)"
          PipelineParameters               = [{ Name = "TrainedBy", "Value.$" = "$$.Execution.RoleArn" }]
        }
        ResultSelector = { "PipelineExecutionArn.$" = "$.PipelineExecutionArn" }
        ResultPath     = "$.pipeline"
        Retry          = local.sdk_retry
        Catch          = local.to_failure
        Next           = "WaitForPipeline"
      }
      WaitForPipeline = { Type = "Wait", Seconds = var.retraining_poll_seconds, Next = "DescribePipeline" }
      DescribePipeline = {
        Type           = "Task"
        Resource       = "arn:aws:states:::aws-sdk:sagemaker:describePipelineExecution"
        Parameters     = { "PipelineExecutionArn.$" = "$.pipeline.PipelineExecutionArn" }
        ResultSelector = { "Status.$" = "$.PipelineExecutionStatus" }
        ResultPath     = "$.execution"
        Retry          = local.sdk_retry
        Catch          = local.to_failure
        Next           = "PipelineDone"
      }
      PipelineDone = {
        Type = "Choice"
        Choices = [
          { Variable = "$.execution.Status", StringEquals = "Succeeded", Next = "NotifySuccess" },
          { Variable = "$.execution.Status", StringEquals = "Failed", Next = "NotifyFailure" },
          { Variable = "$.execution.Status", StringEquals = "Stopped", Next = "NotifyFailure" },
        ]
        Default = "WaitForPipeline"
      }
      NotifySuccess = {
        Type     = "Task"
        Resource = "arn:aws:states:::sns:publish"
        Parameters = {
          TopicArn    = var.alarm_topic_arn
          Subject     = "Retraining succeeded: a model version waits for approval"
          "Message.$" = "States.Format('Pipeline execution {} succeeded; its model version is PendingManualApproval.', $.pipeline.PipelineExecutionArn)"
        }
        ResultPath = null
        Next       = "Retrained"
      }
      Retrained = { Type = "Succeed" }
      NotifyFailure = {
        Type     = "Task"
        Resource = "arn:aws:states:::sns:publish"
        Parameters = {
          TopicArn    = var.alarm_topic_arn
          Subject     = "Retraining did not succeed"
          "Message.$" = "States.JsonToString($)"
        }
        ResultPath = null
        Next       = "RetrainingFailed"
      }
      RetrainingFailed = { Type = "Fail", Error = "RetrainingFailed", Cause = "The pipeline execution did not succeed or could not be followed; see the notification." }
    }
  }
}

data "aws_iam_policy_document" "sfn_trust" {
  statement {
    sid     = "StepFunctionsOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "sfn" {
  statement {
    sid       = "StartPipeline"
    effect    = "Allow"
    actions   = ["sagemaker:StartPipelineExecution"]
    resources = [aws_sagemaker_pipeline.this.arn]
  }

  statement {
    sid       = "FollowPipelineExecutions"
    effect    = "Allow"
    actions   = ["sagemaker:DescribePipelineExecution"]
    resources = ["${aws_sagemaker_pipeline.this.arn}/execution/*"]
  }

  statement {
    sid       = "NotifyOutcome"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [var.alarm_topic_arn]
  }

  # The topic is encrypted with the logs key; the state machine's own log group and state too.
  statement {
    sid       = "UseLogsKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.logs_kms_key_arn]
  }

  # Vended log delivery: AWS supports no resource-level permissions for these actions (Resource "*").
  statement {
    sid    = "DeliverExecutionLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  # X-Ray accepts no resource-level permissions for segment upload (Resource "*").
  statement {
    sid       = "Tracing"
    effect    = "Allow"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }
}

resource "aws_iam_role" "sfn" {
  name                 = "${var.name_prefix}-retraining-sfn"
  description          = "Step Functions role of ${local.state_machine_name}: starts and follows the pipeline, notifies."
  assume_role_policy   = data.aws_iam_policy_document.sfn_trust.json
  max_session_duration = 3600
  tags                 = merge(var.tags, { Name = "${var.name_prefix}-retraining-sfn" })
}

resource "aws_iam_role_policy" "sfn" {
  name   = "retraining"
  role   = aws_iam_role.sfn.id
  policy = data.aws_iam_policy_document.sfn.json
}

resource "aws_cloudwatch_log_group" "sfn" {
  name              = local.sfn_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_sfn_state_machine" "retraining" {
  name       = local.state_machine_name
  role_arn   = aws_iam_role.sfn.arn
  type       = "STANDARD"
  definition = jsonencode(local.retraining_definition)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.sfn.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = var.logs_kms_key_arn
    kms_data_key_reuse_period_seconds = 300
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.sfn]
}

data "aws_iam_policy_document" "events_trust" {
  statement {
    sid     = "EventBridgeOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "StartRetraining"
    effect    = "Allow"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.retraining.arn]
  }
}

resource "aws_iam_role" "events" {
  name                 = "${var.name_prefix}-retraining-events"
  description          = "EventBridge role: starts ${local.state_machine_name} on a drift alarm or the schedule."
  assume_role_policy   = data.aws_iam_policy_document.events_trust.json
  max_session_duration = 3600
  tags                 = merge(var.tags, { Name = "${var.name_prefix}-retraining-events" })
}

resource "aws_iam_role_policy" "events" {
  name   = "start-retraining"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}

resource "aws_cloudwatch_event_rule" "drift_alarm" {
  name        = "${var.name_prefix}-drift-alarm"
  description = "A drift alarm of ${var.endpoint_name} went to ALARM: retrain."
  event_pattern = jsonencode({
    source        = ["aws.cloudwatch"]
    "detail-type" = ["CloudWatch Alarm State Change"]
    resources     = [for f in var.monitored_features : "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${aws_cloudwatch_metric_alarm.drift[f].alarm_name}"]
    detail        = { state = { value = ["ALARM"] } }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "drift_alarm" {
  rule     = aws_cloudwatch_event_rule.drift_alarm.name
  arn      = aws_sfn_state_machine.retraining.arn
  role_arn = aws_iam_role.events.arn
}

resource "aws_cloudwatch_event_rule" "schedule" {
  count = var.enable_retraining_schedule ? 1 : 0

  name                = "${var.name_prefix}-retraining-schedule"
  description         = "Scheduled retraining of the dropout-risk model."
  schedule_expression = var.retraining_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  count = var.enable_retraining_schedule ? 1 : 0

  rule     = aws_cloudwatch_event_rule.schedule[0].name
  arn      = aws_sfn_state_machine.retraining.arn
  role_arn = aws_iam_role.events.arn
}

# --- optional: the same check as SageMaker Model Monitor, for accounts that still have it ---

resource "aws_sagemaker_data_quality_job_definition" "this" {
  count = var.enable_model_monitor ? 1 : 0

  name     = "${var.name_prefix}-data-quality"
  role_arn = var.execution_role_arn

  data_quality_app_specification {
    image_uri = var.model_monitor_image_uri
  }

  data_quality_baseline_config {
    constraints_resource {
      s3_uri = "s3://${var.data_bucket_name}/models/monitoring/baseline/constraints.json"
    }
    statistics_resource {
      s3_uri = "s3://${var.data_bucket_name}/models/monitoring/baseline/statistics.json"
    }
  }

  data_quality_job_input {
    endpoint_input {
      endpoint_name = var.endpoint_name
      local_path    = "/opt/ml/processing/input/endpoint"
    }
  }

  data_quality_job_output_config {
    kms_key_id = var.data_kms_key_arn
    monitoring_outputs {
      s3_output {
        s3_uri     = "s3://${var.data_bucket_name}/models/monitoring/model-monitor"
        local_path = "/opt/ml/processing/output"
      }
    }
  }

  job_resources {
    cluster_config {
      instance_count    = 1
      instance_type     = "ml.m5.large"
      volume_size_in_gb = 30
      volume_kms_key_id = var.volume_kms_key_arn
    }
  }

  network_config {
    enable_inter_container_traffic_encryption = true
    enable_network_isolation                  = true
    vpc_config {
      security_group_ids = var.security_group_ids
      subnets            = var.subnet_ids
    }
  }

  stopping_condition {
    max_runtime_in_seconds = 1800
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.model_monitor_image_uri != null
      error_message = "enable_model_monitor needs model_monitor_image_uri (the region's sagemaker-model-monitor-analyzer image)."
    }
  }
}

resource "aws_sagemaker_monitoring_schedule" "this" {
  count = var.enable_model_monitor ? 1 : 0

  name = "${var.name_prefix}-data-quality"

  monitoring_schedule_config {
    monitoring_job_definition_name = aws_sagemaker_data_quality_job_definition.this[0].name
    monitoring_type                = "DataQuality"

    schedule_config {
      schedule_expression = "cron(0 * ? * * *)"
    }
  }

  tags = var.tags
}
