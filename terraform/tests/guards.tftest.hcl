# Validated-environment guards: outside environment local, insecure values fail at plan with a message
# naming the variable. Only the variables' validations run (no provider call is needed before them).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:role/deployer"
    }
  }

  mock_data "aws_iam_session_context" {
    defaults = {
      issuer_arn = "arn:aws:iam::123456789012:role/deployer"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition          = "aws"
      dns_suffix         = "amazonaws.com"
      reverse_dns_prefix = "com.amazonaws"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-central-1"
    }
  }

  mock_data "aws_availability_zones" {
    defaults = {
      names = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_data "aws_sagemaker_prebuilt_ecr_image" {
    defaults = {
      registry_id   = "492215442770"
      registry_path = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    }
  }
}

# What terraform/env/aws.tfvars sets: a validated environment that plans.
variables {
  environment                   = "validation"
  object_lock_mode              = "COMPLIANCE"
  object_lock_retention_days    = 3650
  force_destroy_buckets         = false
  keep_log_groups_on_destroy    = true
  auditor_require_mfa           = true
  auditor_principal_arns        = ["arn:aws:iam::123456789012:role/gxp-auditors"]
  validation_principal_arns     = ["arn:aws:iam::123456789012:role/gxp-qualification-ci"]
  data_scientist_principal_arns = ["arn:aws:iam::123456789012:role/gxp-data-scientists"]
  approver_principal_arns       = ["arn:aws:iam::123456789012:role/gxp-qa-approvers"]
}

run "governance_lock_rejected_outside_local" {
  command = plan

  variables {
    object_lock_mode = "GOVERNANCE"
  }

  expect_failures = [var.object_lock_mode]
}

run "one_day_retention_rejected_outside_local" {
  command = plan

  variables {
    object_lock_retention_days = 1
  }

  expect_failures = [var.object_lock_retention_days]
}

run "retention_below_declared_minimum_rejected" {
  command = plan

  variables {
    object_lock_retention_days  = 2555
    min_evidence_retention_days = 2557
  }

  expect_failures = [var.object_lock_retention_days]
}

run "force_destroy_rejected_outside_local" {
  command = plan

  variables {
    force_destroy_buckets = true
  }

  expect_failures = [var.force_destroy_buckets]
}

run "audit_log_groups_must_be_kept_outside_local" {
  command = plan

  variables {
    keep_log_groups_on_destroy = false
  }

  expect_failures = [var.keep_log_groups_on_destroy]
}

run "auditor_mfa_required_outside_local" {
  command = plan

  variables {
    auditor_require_mfa = false
  }

  expect_failures = [var.auditor_require_mfa]
}

run "deployer_trust_only_on_local" {
  command = plan

  variables {
    persona_trust_deployer = true
  }

  expect_failures = [var.persona_trust_deployer]
}

run "persona_without_principals_rejected" {
  command = plan

  variables {
    approver_principal_arns = []
  }

  expect_failures = [var.approver_principal_arns]
}

run "local_accepts_disposable_settings" {
  command = plan

  variables {
    environment                = "local"
    object_lock_mode           = "GOVERNANCE"
    object_lock_retention_days = 1
    force_destroy_buckets      = true
    keep_log_groups_on_destroy = false
    auditor_require_mfa        = false
    persona_trust_deployer     = true
    auditor_principal_arns     = []
    approver_principal_arns    = []
  }

  assert {
    condition     = output.name_prefix == "gxp-ml" && length(output.kms_key_arns) == 6
    error_message = "The local environment must plan with disposable settings."
  }
}
