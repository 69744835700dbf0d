# The embedded local AWS (moto server + local SageMaker runtime). Disposable: buckets may be emptied on
# destroy, and evidence is locked in GOVERNANCE mode for a day so that `make destroy` leaves nothing.
environment                = "local"
name_prefix                = "gxp-ml"
region                     = "eu-central-1"
object_lock_mode           = "GOVERNANCE"
object_lock_retention_days = 1
force_destroy_buckets      = true
log_retention_days         = 365
# The local operator (the harness's default credentials) may act as every persona: the suites and a
# developer assume the auditor, validation, data scientist and approver roles. No MFA exists here.
persona_trust_deployer     = true
auditor_require_mfa        = false
keep_log_groups_on_destroy = false
# The local pipeline runs in seconds: poll it every 2 s rather than every minute.
retraining_poll_seconds = 2
