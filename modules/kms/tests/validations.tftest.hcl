# Every validation rejects a bad value at plan time.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix = "gxp-ml"
}

run "name_prefix_rejects_invalid_characters" {
  command = plan

  variables {
    name_prefix = "gxp ml/*"
  }

  expect_failures = [var.name_prefix]
}

run "name_prefix_rejects_reserved_aws_prefix" {
  command = plan

  variables {
    name_prefix = "aws-platform"
  }

  expect_failures = [var.name_prefix]
}

run "deletion_window_below_7_fails" {
  command = plan

  variables {
    deletion_window_in_days = 6
  }

  expect_failures = [var.deletion_window_in_days]
}

run "deletion_window_above_30_fails" {
  command = plan

  variables {
    deletion_window_in_days = 31
  }

  expect_failures = [var.deletion_window_in_days]
}

run "rotation_period_below_90_fails" {
  command = plan

  variables {
    rotation_period_in_days = 89
  }

  expect_failures = [var.rotation_period_in_days]
}

run "rotation_period_above_2560_fails" {
  command = plan

  variables {
    rotation_period_in_days = 2561
  }

  expect_failures = [var.rotation_period_in_days]
}

run "key_rotation_off_fails" {
  command = plan

  variables {
    enable_key_rotation = false
  }

  expect_failures = [var.enable_key_rotation]
}

run "wildcard_key_administrator_fails" {
  command = plan

  variables {
    key_administrator_arns = ["*"]
  }

  expect_failures = [var.key_administrator_arns]
}

run "wildcard_key_user_fails" {
  command = plan

  variables {
    key_user_arns = { data = ["arn:aws:iam::123456789012:role/*", "*"] }
  }

  expect_failures = [var.key_user_arns]
}

run "non_iam_signing_key_user_fails" {
  command = plan

  variables {
    key_user_arns = { signing = ["arn:aws:s3:::evidence"] }
  }

  expect_failures = [var.key_user_arns]
}

run "non_trail_cloudtrail_arn_fails" {
  command = plan

  variables {
    cloudtrail_trail_arns = ["arn:aws:cloudtrail:eu-central-1:123456789012:trail/*"]
  }

  expect_failures = [var.cloudtrail_trail_arns]
}

run "boundary_values_are_accepted" {
  command = plan

  variables {
    deletion_window_in_days = 7
    rotation_period_in_days = 2560
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.deletion_window_in_days == 7 && k.rotation_period_in_days == 2560])
    error_message = "Boundary values 7 and 2560 must be accepted and applied."
  }
}

run "unknown_key_user_purpose_fails" {
  command = plan

  variables {
    key_user_arns = { backups = ["arn:aws:iam::123456789012:role/backup"] }
  }

  expect_failures = [var.key_user_arns]
}

run "root_key_administrator_fails" {
  command = plan

  variables {
    key_administrator_arns = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.key_administrator_arns]
}

run "wildcard_break_glass_fails" {
  command = plan

  variables {
    break_glass_principal_arns = ["arn:aws:iam::123456789012:role/*"]
  }

  expect_failures = [var.break_glass_principal_arns]
}

run "unprotected_data_key_fails" {
  command = plan

  variables {
    deletion_protected_purposes = ["volume", "model", "logs", "signing"]
  }

  expect_failures = [var.deletion_protected_purposes]
}

run "rsa_2048_signing_key_fails" {
  command = plan

  variables {
    signing_key_spec = "RSA_2048"
  }

  expect_failures = [var.signing_key_spec]
}
