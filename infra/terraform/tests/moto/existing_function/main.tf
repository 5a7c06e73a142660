# The function that the module's Option 2 and Option 3 examples (existing-function, hybrid)
# expect to exist, made before them by scripts/check-infra-moto.sh: wsproxy-existing, run by
# the role wsproxy-existing-role.

provider "aws" {
  region = "us-east-1"
}

variable "package" {
  description = "A zip for the function (its code is never run here)."
  type        = string
}

resource "aws_iam_role" "existing" {
  name = "wsproxy-existing-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "existing" {
  function_name    = "wsproxy-existing"
  role             = aws_iam_role.existing.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  filename         = var.package
  source_code_hash = filebase64sha256(var.package)
}
