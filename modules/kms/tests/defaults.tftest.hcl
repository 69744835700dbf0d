# Planned key attributes with the default inputs.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix = "gxp-ml"
  tags = {
    Project = "gxp-ml"
  }
}

run "four_symmetric_keys_rotate" {
  command = plan

  assert {
    condition     = toset(keys(aws_kms_key.this)) == toset(["data", "volume", "model", "logs"])
    error_message = "Exactly the data, volume, model and logs symmetric keys must be planned."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.enable_key_rotation == true])
    error_message = "Every symmetric key must have automatic rotation enabled."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.rotation_period_in_days == 365])
    error_message = "The default rotation period must be 365 days."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.deletion_window_in_days == 30])
    error_message = "The default deletion window must be 30 days."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.customer_master_key_spec == "SYMMETRIC_DEFAULT" && k.key_usage == "ENCRYPT_DECRYPT"])
    error_message = "The data, volume, model and logs keys must be symmetric encryption keys."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.is_enabled == true && k.multi_region == false])
    error_message = "Keys must be enabled and single-region by default."
  }
}

run "signing_key_is_asymmetric" {
  command = plan

  assert {
    condition     = alltrue([for k in aws_kms_key.signing : k.customer_master_key_spec == "RSA_4096"])
    error_message = "The signing and approvals keys must be RSA_4096 by default."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.signing : k.key_usage == "SIGN_VERIFY"])
    error_message = "The signing key must be a SIGN_VERIFY key."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.signing : k.enable_key_rotation == false])
    error_message = "Asymmetric keys cannot rotate automatically: enable_key_rotation must be false."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.signing : k.deletion_window_in_days == 30])
    error_message = "The signing key must use the deletion window."
  }
}

run "aliases_and_tags" {
  command = plan

  assert {
    condition = toset([for a in aws_kms_alias.this : a.name]) == toset([
      "alias/gxp-ml-data", "alias/gxp-ml-volume", "alias/gxp-ml-model", "alias/gxp-ml-logs", "alias/gxp-ml-signing", "alias/gxp-ml-approvals",
    ])
    error_message = "Aliases must be alias/<name_prefix>-<purpose> for the five keys."
  }

  assert {
    condition     = alltrue([for p, k in aws_kms_key.this : k.tags["Project"] == "gxp-ml" && k.tags["Purpose"] == p && k.tags["Name"] == "gxp-ml-${p}"])
    error_message = "Symmetric keys must carry the given tags plus Name and Purpose."
  }

  assert {
    condition     = alltrue([for p, k in aws_kms_key.signing : k.tags["Project"] == "gxp-ml" && k.tags["Purpose"] == p])
    error_message = "The signing key must carry the given tags."
  }

  assert {
    condition     = output.alias_names["logs"] == "alias/gxp-ml-logs"
    error_message = "alias_names must map purpose to alias name."
  }
}

run "custom_rotation_and_window" {
  command = plan

  variables {
    rotation_period_in_days = 180
    deletion_window_in_days = 14
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.rotation_period_in_days == 180 && k.deletion_window_in_days == 14])
    error_message = "rotation_period_in_days and deletion_window_in_days must reach the symmetric keys."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.signing : k.deletion_window_in_days == 14])
    error_message = "deletion_window_in_days must reach the signing key."
  }
}
