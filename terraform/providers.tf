# The target is chosen by environment only: AWS_ENDPOINT_URL (+ AWS_CA_BUNDLE, AWS_S3_USE_PATH_STYLE)
# aims this provider at the embedded emulator; without it the normal AWS credential chain is used.
provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
