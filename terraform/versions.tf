terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Local state by default (path given by the harness at init, git-ignored). Teams: copy
  # backend-s3.tf.example to backend_override.tf and init with -backend-config (see README).
  backend "local" {}
}
