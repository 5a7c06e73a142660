terraform {
  # 1.9: variable validation rules may refer to other variables (the deployment options).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # >= 5.26: earlier providers reject runtime = "provided.al2023".
      # < 6.29: from 6.29 a global secondary index's hash_key is deprecated in favour of
      # key_schema, which earlier versions lack; staying below keeps plans warning-free.
      # Checked by scripts/check-infra.sh: validated and tested against 6.25.0's schema, and
      # `terraform init` must refuse 5.25.0 and 6.29.0 and accept 5.26.0 and 6.28.0.
      version = ">= 5.26, < 6.29"
    }
  }
}
