# Evidence bucket policy statements for CloudTrail delivery.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:root"
      user_id    = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition          = "aws"
      dns_suffix         = "amazonaws.com"
      reverse_dns_prefix = "com.amazonaws"
    }
  }
}

variables {
  data_lake_bucket_name  = "gxp-test-data-lake"
  evidence_bucket_name   = "gxp-test-evidence"
  access_log_bucket_name = "gxp-test-access-logs"
  kms_key_arn            = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  cloudtrail_trail_arn   = "arn:aws:cloudtrail:eu-central-1:123456789012:trail/gxp-trail"
}

run "trail_may_write_under_its_prefix_only" {
  command = plan

  assert {
    condition     = one([for s in jsondecode(aws_s3_bucket_policy.evidence.policy).Statement : s if s.Sid == "AllowCloudTrailWrite"]).Resource == "arn:aws:s3:::gxp-test-evidence/cloudtrail/AWSLogs/123456789012/*"
    error_message = "CloudTrail may write only under cloudtrail/AWSLogs/<account>/."
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_s3_bucket_policy.evidence.policy).Statement :
      s.Principal.Service == "cloudtrail.amazonaws.com" && s.Condition.StringEquals["aws:SourceArn"] == "arn:aws:cloudtrail:eu-central-1:123456789012:trail/gxp-trail"
    if s.Effect == "Allow"])
    error_message = "Every CloudTrail statement must be scoped to the trail ARN with aws:SourceArn."
  }

  assert {
    condition     = one([for s in jsondecode(aws_s3_bucket_policy.evidence.policy).Statement : s if s.Sid == "AllowCloudTrailWrite"]).Condition.StringEquals["s3:x-amz-acl"] == "bucket-owner-full-control"
    error_message = "CloudTrail writes must carry bucket-owner-full-control."
  }

  assert {
    condition     = one([for s in jsondecode(aws_s3_bucket_policy.evidence.policy).Statement : s if s.Sid == "AllowCloudTrailAclCheck"]).Action == "s3:GetBucketAcl"
    error_message = "CloudTrail needs s3:GetBucketAcl on the bucket."
  }

  assert {
    condition     = length(jsondecode(aws_s3_bucket_policy.evidence.policy).Statement) == 5
    error_message = "Expected the TLS deny, the TLS 1.2 deny, the non-KMS encryption deny and two CloudTrail statements."
  }

  assert {
    condition     = output.cloudtrail_s3_object_prefix == "cloudtrail/AWSLogs/123456789012/"
    error_message = "cloudtrail_s3_object_prefix must report the trail's prefix."
  }
}

run "custom_and_empty_prefix" {
  command = plan

  variables {
    cloudtrail_s3_key_prefix = ""
  }

  assert {
    condition     = one([for s in jsondecode(aws_s3_bucket_policy.evidence.policy).Statement : s if s.Sid == "AllowCloudTrailWrite"]).Resource == "arn:aws:s3:::gxp-test-evidence/AWSLogs/123456789012/*"
    error_message = "An empty prefix means AWSLogs/<account>/ at the bucket root."
  }
}

run "no_trail_no_statements" {
  command = plan

  variables {
    cloudtrail_trail_arn = null
  }

  assert {
    condition     = length([for s in jsondecode(aws_s3_bucket_policy.evidence.policy).Statement : s if s.Effect == "Allow"]) == 0
    error_message = "Without a trail the evidence bucket policy must grant nothing."
  }

  assert {
    condition     = output.cloudtrail_s3_object_prefix == null
    error_message = "cloudtrail_s3_object_prefix must be null without a trail."
  }
}
