# Example for a real AWS account: adjust before the first apply. Evidence is locked in COMPLIANCE
# mode: nobody, root included, can delete it before the retention ends.
environment = "validation"
name_prefix = "gxp-ml"
region      = "eu-central-1"
# data_lake_bucket_name    = "bayer-datalake" # default: <name_prefix>-datalake-<account>
object_lock_mode           = "COMPLIANCE"
object_lock_retention_days = 3650
force_destroy_buckets      = false
log_retention_days         = 2557
enable_notebook            = false
enable_autoscaling         = true
