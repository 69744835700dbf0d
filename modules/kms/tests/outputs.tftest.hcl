# Output shapes, with known key ARNs and ids from overrides applied at plan.

mock_provider "aws" {
  source = "./tests/mocks"

  override_resource {
    target          = aws_kms_key.this
    override_during = plan
    values = {
      arn    = "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"
      key_id = "11111111-1111-1111-1111-111111111111"
    }
  }

  override_resource {
    target          = aws_kms_key.signing
    override_during = plan
    values = {
      arn    = "arn:aws:kms:eu-central-1:123456789012:key/22222222-2222-2222-2222-222222222222"
      key_id = "22222222-2222-2222-2222-222222222222"
    }
  }
}

variables {
  name_prefix = "gxp-ml"
}

run "outputs_carry_key_arns" {
  command = plan

  assert {
    condition     = output.data_key_arn == "arn:aws:kms:eu-central-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    error_message = "data_key_arn must be the data key ARN."
  }

  assert {
    condition     = output.data_key_id == "11111111-1111-1111-1111-111111111111"
    error_message = "data_key_id must be the data key id."
  }

  assert {
    condition     = output.signing_key_arn == "arn:aws:kms:eu-central-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    error_message = "signing_key_arn must be the signing key ARN."
  }

  assert {
    condition     = output.signing_key_id == "22222222-2222-2222-2222-222222222222"
    error_message = "signing_key_id must be the signing key id."
  }

  assert {
    condition     = toset(keys(output.key_arns)) == toset(["data", "volume", "model", "logs", "signing", "approvals"])
    error_message = "key_arns must map the five purposes."
  }

  assert {
    condition     = output.key_arns["signing"] == output.signing_key_arn && output.key_arns["logs"] == output.logs_key_arn
    error_message = "key_arns must agree with the single-key outputs."
  }

  assert {
    condition     = length(output.symmetric_key_arns) == 4 && !contains(output.symmetric_key_arns, output.signing_key_arn) && output.approvals_key_arn != null
    error_message = "symmetric_key_arns must list the four symmetric keys and not the signing key."
  }

  assert {
    condition     = output.volume_key_arn != null && output.model_key_arn != null && output.logs_key_arn != null
    error_message = "volume_key_arn, model_key_arn and logs_key_arn must be set."
  }

  assert {
    condition     = aws_kms_alias.this["signing"].target_key_id == "22222222-2222-2222-2222-222222222222"
    error_message = "The signing alias must target the signing key."
  }

  assert {
    condition     = toset(keys(output.alias_names)) == toset(keys(output.key_arns))
    error_message = "alias_names and key_arns must cover the same purposes."
  }
}
