data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  log_group_arn_prefix = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:"

  # Deterministic from inputs: the storage module's bucket policy and the trust/topic policies
  # below reference the trail ARN before the trail exists.
  trail_name = coalesce(var.trail_name, "${var.name_prefix}-trail")
  trail_arn  = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"

  trail_kms_key_arn = coalesce(var.trail_kms_key_arn, var.logs_kms_key_arn)
  sns_kms_key_arn   = coalesce(var.sns_kms_key_arn, var.logs_kms_key_arn)

  # Log groups SageMaker writes to (names fixed by SageMaker).
  sagemaker_log_groups = {
    training = "/aws/sagemaker/TrainingJobs"
    endpoint = "/aws/sagemaker/Endpoints/${var.endpoint_name}"
  }

  trail_log_group_name = "/aws/cloudtrail/${var.name_prefix}"
  trail_log_group_arn  = "${local.log_group_arn_prefix}${local.trail_log_group_name}"

  trail_logs_role_name = "${var.name_prefix}-cloudtrail-to-logs"

  trail_logs_assume_role_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowCloudTrailService"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = {
            "aws:SourceAccount" = local.account_id
            "aws:SourceArn"     = local.trail_arn
          }
        }
      }
    ]
  }

  # CloudTrail names its streams <account>_CloudTrail_<region>, one per region of a multi-region trail.
  trail_logs_role_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteTrailLogStreams"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.trail_log_group_arn}:log-stream:${local.account_id}_CloudTrail_*"]
      }
    ]
  }

  # Object ARNs of the trail's own delivery prefix: never logged as data events (the trail would log
  # its own deliveries).
  trail_delivery_arn_prefix = "arn:${local.partition}:s3:::${var.trail_bucket_name}/${var.trail_s3_key_prefix}/"

  # CIS AWS Foundations-style metric filters on the trail's log group: what a security reviewer must
  # hear about at once.
  security_events = {
    root-account-use = {
      description = "the account root user made an API call or signed in"
      pattern     = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
    }
    trail-tampering = {
      description = "a trail was stopped, deleted or changed"
      pattern     = "{ ($.eventSource = \"cloudtrail.amazonaws.com\") && (($.eventName = \"StopLogging\") || ($.eventName = \"DeleteTrail\") || ($.eventName = \"UpdateTrail\") || ($.eventName = \"PutEventSelectors\")) }"
    }
    bucket-policy-change = {
      description = "an S3 bucket policy, ACL, public access block, Object Lock or encryption setting changed"
      pattern     = "{ ($.eventSource = \"s3.amazonaws.com\") && (($.eventName = \"PutBucketPolicy\") || ($.eventName = \"DeleteBucketPolicy\") || ($.eventName = \"PutBucketAcl\") || ($.eventName = \"PutBucketPublicAccessBlock\") || ($.eventName = \"DeleteBucketPublicAccessBlock\") || ($.eventName = \"PutObjectLockConfiguration\") || ($.eventName = \"PutBucketEncryption\") || ($.eventName = \"DeleteBucketEncryption\")) }"
    }
    kms-disable-or-deletion = {
      description = "a KMS key was disabled, scheduled for deletion or had its policy replaced"
      pattern     = "{ ($.eventSource = \"kms.amazonaws.com\") && (($.eventName = \"DisableKey\") || ($.eventName = \"ScheduleKeyDeletion\") || ($.eventName = \"PutKeyPolicy\")) }"
    }
    iam-policy-change = {
      description = "an IAM policy, role trust or attachment changed"
      pattern     = "{ ($.eventSource = \"iam.amazonaws.com\") && (($.eventName = \"PutRolePolicy\") || ($.eventName = \"DeleteRolePolicy\") || ($.eventName = \"AttachRolePolicy\") || ($.eventName = \"DetachRolePolicy\") || ($.eventName = \"UpdateAssumeRolePolicy\") || ($.eventName = \"CreatePolicyVersion\") || ($.eventName = \"DeletePolicy\") || ($.eventName = \"PutUserPolicy\") || ($.eventName = \"AttachUserPolicy\") || ($.eventName = \"PutGroupPolicy\") || ($.eventName = \"AttachGroupPolicy\")) }"
    }
  }
  security_metric_namespace = "${var.name_prefix}/Security"

  sns_topic_name = "${var.name_prefix}-alarms"

  # Trail delivery notifications have a topic of their own: the alarm topic carries alarms only.
  delivery_topic_name = "${var.name_prefix}-trail-deliveries"
  delivery_topic_arn  = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.delivery_topic_name}"
  delivery_topic_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowCloudTrailOfThisPlatform"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = local.delivery_topic_arn
        Condition = {
          StringEquals = {
            "aws:SourceAccount" = local.account_id
            "aws:SourceArn"     = local.trail_arn
          }
        }
      },
      {
        # Deny statement: "*" is the standard way to refuse non-TLS requests from anyone.
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes"]
        Resource  = local.delivery_topic_arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }
    ]
  }
  sns_topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.sns_topic_name}"

  alarm_names = {
    invocation_5xx = "${var.name_prefix}-${var.endpoint_name}-invocation-5xx-errors"
    model_latency  = "${var.name_prefix}-${var.endpoint_name}-model-latency"
  }

  sns_topic_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "AllowCloudWatchAlarmsOfThisPlatform"
          Effect    = "Allow"
          Principal = { Service = "cloudwatch.amazonaws.com" }
          Action    = "sns:Publish"
          Resource  = local.sns_topic_arn
          Condition = {
            StringEquals = { "aws:SourceAccount" = local.account_id }
            ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*" }
          }
        }
      ],
      [
        {
          # Deny statement: "*" is the standard way to refuse non-TLS requests from anyone.
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes"]
          Resource  = local.sns_topic_arn
          Condition = {
            Bool = { "aws:SecureTransport" = "false" }
          }
        }
      ]
    )
  }
}

################################################################################
# Log groups (KMS, retention >= 365 days)
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.sagemaker_log_groups

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  skip_destroy      = var.keep_log_groups_on_destroy

  tags = merge(var.tags, { Name = each.value })
}

resource "aws_cloudwatch_log_group" "trail" {
  count = var.create_trail ? 1 : 0

  name              = local.trail_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  skip_destroy      = var.keep_log_groups_on_destroy

  tags = merge(var.tags, { Name = local.trail_log_group_name })
}

################################################################################
# SNS topic for alarms (endpoint and security); trail deliveries do not notify it
################################################################################

resource "aws_sns_topic" "this" {
  name              = local.sns_topic_name
  display_name      = "${var.name_prefix} platform alarms"
  kms_master_key_id = local.sns_kms_key_arn

  tags = merge(var.tags, { Name = local.sns_topic_name })
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = jsonencode(local.sns_topic_policy)
}

resource "aws_sns_topic" "trail_deliveries" {
  count = var.create_trail ? 1 : 0

  name              = local.delivery_topic_name
  display_name      = "${var.name_prefix} trail log deliveries"
  kms_master_key_id = local.sns_kms_key_arn

  tags = merge(var.tags, { Name = local.delivery_topic_name })
}

resource "aws_sns_topic_policy" "trail_deliveries" {
  count = var.create_trail ? 1 : 0

  arn    = aws_sns_topic.trail_deliveries[0].arn
  policy = jsonencode(local.delivery_topic_policy)
}

resource "aws_sns_topic_subscription" "alarms" {
  for_each = { for s in var.alarm_subscriptions : "${s.protocol}:${s.endpoint}" => s }

  topic_arn = aws_sns_topic.this.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}

################################################################################
# CloudTrail (multi-region, log file validation, KMS, CloudWatch Logs, SNS)
################################################################################

resource "aws_iam_role" "trail_to_logs" {
  count = var.create_trail ? 1 : 0

  name               = local.trail_logs_role_name
  description        = "Lets CloudTrail trail ${local.trail_name} deliver events to ${local.trail_log_group_name}"
  assume_role_policy = jsonencode(local.trail_logs_assume_role_policy)

  tags = merge(var.tags, { Name = local.trail_logs_role_name })
}

resource "aws_iam_role_policy" "trail_to_logs" {
  count = var.create_trail ? 1 : 0

  name   = "${local.trail_logs_role_name}-delivery"
  role   = aws_iam_role.trail_to_logs[0].id
  policy = jsonencode(local.trail_logs_role_policy)
}

resource "aws_cloudtrail" "this" {
  count = var.create_trail ? 1 : 0

  name                          = local.trail_name
  s3_bucket_name                = var.trail_bucket_name
  s3_key_prefix                 = var.trail_s3_key_prefix
  kms_key_id                    = local.trail_kms_key_arn
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail[0].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.trail_to_logs[0].arn
  sns_topic_name                = aws_sns_topic.trail_deliveries[0].name

  advanced_event_selector {
    name = "All management events"

    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }

  # Object-level reads, writes and deletes in the platform's buckets, except the trail's own deliveries.
  dynamic "advanced_event_selector" {
    for_each = length(var.trail_data_event_s3_bucket_arns) > 0 ? [1] : []

    content {
      name = "S3 data events of the platform's buckets"

      field_selector {
        field  = "eventCategory"
        equals = ["Data"]
      }

      field_selector {
        field  = "resources.type"
        equals = ["AWS::S3::Object"]
      }

      field_selector {
        field           = "resources.ARN"
        starts_with     = [for arn in var.trail_data_event_s3_bucket_arns : "${arn}/"]
        not_starts_with = [local.trail_delivery_arn_prefix]
      }
    }
  }

  tags = merge(var.tags, { Name = local.trail_name })

  # The role must be able to write and the topic must accept the trail before CloudTrail validates them.
  depends_on = [aws_iam_role_policy.trail_to_logs, aws_sns_topic_policy.trail_deliveries]
}

################################################################################
# Metric alarms on the SageMaker endpoint variant
################################################################################

resource "aws_cloudwatch_metric_alarm" "invocation_5xx" {
  alarm_name          = local.alarm_names.invocation_5xx
  alarm_description   = "SageMaker endpoint ${var.endpoint_name}/${var.variant_name} returned ${var.alarm_5xx_threshold} or more 5XX errors per ${var.alarm_period_seconds} s."
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = var.alarm_evaluation_periods
  threshold           = var.alarm_5xx_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  dimensions = {
    EndpointName = var.endpoint_name
    VariantName  = var.variant_name
  }

  tags = merge(var.tags, { Name = local.alarm_names.invocation_5xx })
}

resource "aws_cloudwatch_metric_alarm" "model_latency" {
  alarm_name          = local.alarm_names.model_latency
  alarm_description   = "SageMaker endpoint ${var.endpoint_name}/${var.variant_name} average ModelLatency above ${var.alarm_latency_threshold_microseconds} microseconds."
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  statistic           = "Average"
  unit                = "Microseconds"
  period              = var.alarm_period_seconds
  evaluation_periods  = var.alarm_evaluation_periods
  threshold           = var.alarm_latency_threshold_microseconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  dimensions = {
    EndpointName = var.endpoint_name
    VariantName  = var.variant_name
  }

  tags = merge(var.tags, { Name = local.alarm_names.model_latency })
}

################################################################################
# Security alarms: metric filters on the trail's log group -> alarms -> the encrypted topic
################################################################################

resource "aws_cloudwatch_log_metric_filter" "security" {
  for_each = var.create_trail ? local.security_events : {}

  name           = "${var.name_prefix}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.trail[0].name
  pattern        = each.value.pattern

  metric_transformation {
    name          = each.key
    namespace     = local.security_metric_namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "security" {
  for_each = var.create_trail ? local.security_events : {}

  alarm_name          = "${var.name_prefix}-security-${each.key}"
  alarm_description   = "Security: ${each.value.description} (CloudTrail, ${local.trail_name})."
  namespace           = local.security_metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.security[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.this.arn]

  tags = merge(var.tags, { Name = "${var.name_prefix}-security-${each.key}" })
}
