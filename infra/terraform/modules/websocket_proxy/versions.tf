terraform {
  # 1.9: variable validation rules may refer to other variables (the deployment options).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}
