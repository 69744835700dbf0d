# Feature Store for the subjects (online and offline stores), the offline store's Glue Data Catalog
# table, and an Athena workgroup that queries it with enforced, KMS-encrypted results.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition          = data.aws_partition.current.partition
  account_id         = data.aws_caller_identity.current.account_id
  region             = data.aws_region.current.name
  feature_group_name = coalesce(var.feature_group_name, "${var.name_prefix}-subjects")
  # Glue and Athena names: lowercase letters, digits and underscores.
  database_name = "${replace(var.name_prefix, "-", "_")}_features"
  table_name    = replace(lower(local.feature_group_name), "-", "_")

  bucket_arn         = "arn:${local.partition}:s3:::${var.data_lake_bucket_name}"
  offline_store_uri  = "s3://${var.data_lake_bucket_name}/${var.offline_store_prefix}"
  athena_results_uri = "s3://${var.data_lake_bucket_name}/${var.athena_results_prefix}/"

  feature_definitions = concat(
    [
      { name = var.record_identifier_name, type = "String" },
      { name = var.event_time_name, type = "String" },
    ],
    var.features,
  )
}

resource "aws_glue_catalog_database" "this" {
  name        = local.database_name
  description = "Offline store tables of the platform's feature groups (written by SageMaker Feature Store)."
  tags        = var.tags
}

# The role SageMaker Feature Store uses to write the offline store and keep its Glue table.
resource "aws_iam_role" "feature_store" {
  name        = "${var.name_prefix}-feature-store"
  description = "SageMaker Feature Store: writes the offline store of ${local.feature_group_name}."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sagemaker.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "feature_store" {
  name = "offline-store"
  role = aws_iam_role.feature_store.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "OfflineStoreObjects"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = "${local.bucket_arn}/${var.offline_store_prefix}/*"
      },
      {
        Sid      = "OfflineStoreBucket"
        Effect   = "Allow"
        Action   = ["s3:GetBucketAcl", "s3:ListBucket"]
        Resource = local.bucket_arn
      },
      {
        Sid      = "OfflineStoreKey"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource = var.kms_key_arn
        Condition = {
          StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" }
        }
      },
      {
        Sid    = "OfflineStoreTable"
        Effect = "Allow"
        Action = ["glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:GetDatabase"]
        Resource = [
          "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
          aws_glue_catalog_database.this.arn,
          "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.database_name}/*",
        ]
      },
    ]
  })
}

resource "aws_sagemaker_feature_group" "this" {
  feature_group_name             = local.feature_group_name
  description                    = "Subjects of the dropout model: the three features and the label, one record per subject."
  record_identifier_feature_name = var.record_identifier_name
  event_time_feature_name        = var.event_time_name
  role_arn                       = aws_iam_role.feature_store.arn

  dynamic "feature_definition" {
    for_each = local.feature_definitions
    content {
      feature_name = feature_definition.value.name
      feature_type = feature_definition.value.type
    }
  }

  offline_store_config {
    disable_glue_table_creation = false

    s3_storage_config {
      s3_uri     = local.offline_store_uri
      kms_key_id = var.kms_key_arn
    }

    data_catalog_config {
      catalog    = "AwsDataCatalog"
      database   = aws_glue_catalog_database.this.name
      table_name = local.table_name
    }
  }

  online_store_config {
    enable_online_store = var.enable_online_store

    security_config {
      kms_key_id = var.kms_key_arn
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.feature_store]
}

resource "aws_athena_workgroup" "this" {
  name          = "${var.name_prefix}-features"
  description   = "Queries over the offline feature store; settings enforced for every query."
  state         = "ENABLED"
  force_destroy = true

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    result_configuration {
      output_location = local.athena_results_uri

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  tags = var.tags
}
