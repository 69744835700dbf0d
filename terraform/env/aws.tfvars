# Example for a real AWS account: adjust before the first apply. Evidence is locked in COMPLIANCE
# mode: nobody, root included, can delete it before the retention ends.
environment = "validation"
name_prefix = "gxp-ml"
region      = "eu-central-1"
# data_lake_bucket_name    = "bayer-datalake" # default: <name_prefix>-datalake-<account>
object_lock_mode            = "COMPLIANCE"
object_lock_retention_days  = 3650
force_destroy_buckets       = false
log_retention_days          = 2557
enable_notebook             = false
enable_autoscaling          = true
min_evidence_retention_days = 3650
keep_log_groups_on_destroy  = true
auditor_require_mfa         = true
# Who may assume each persona (IAM roles or users; nothing defaults to the deploying identity).
persona_trust_deployer        = false
auditor_principal_arns        = ["arn:aws:iam::111122223333:role/gxp-auditors"]
validation_principal_arns     = ["arn:aws:iam::111122223333:role/gxp-qualification-ci"]
data_scientist_principal_arns = ["arn:aws:iam::111122223333:role/gxp-data-scientists"]
approver_principal_arns       = ["arn:aws:iam::111122223333:role/gxp-qa-approvers"]
reviewer_principal_arns       = []
# Key custody: administrators (besides the deploying identity) and the only principals that may
# schedule a key's deletion or disable it.
key_administrator_arns     = ["arn:aws:iam::111122223333:role/gxp-key-administrators"]
break_glass_principal_arns = ["arn:aws:iam::111122223333:role/gxp-break-glass"]
