# Planted errors: each other file of this folder holds exactly one mistake that the aws
# provider's schema (hashicorp/aws 6.25.0, served offline) must catch. scripts/check-infra.sh
# runs `terraform validate` here and fails unless each file's error, and only it, is reported.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.25.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}
