# How websocket_lambda_package resolves. Kept apart from main.tf on purpose: this file and
# variables.tf need no provider, so `terraform console` can evaluate
# local.websocket_lambda_package offline from a folder holding only them (and the *.tfvars):
#   echo 'local.websocket_lambda_package' | terraform console

locals {
  # websocket_lambda_package is resolved against THIS folder (infra/terraform/envs/dev), the
  # root module: a relative path is joined to path.module (".", which Terraform runs in, also
  # under `terraform -chdir=infra/terraform/envs/dev`) and made absolute with abspath(), which
  # cleans "." and ".." lexically (symlinks are not followed). An absolute path (or a "~/"
  # path, expanded by pathexpand()) is used as it is. `wsproxy doctor --env .` resolves it
  # the same way, and `terraform output websocket_lambda_package_path` shows the result.
  websocket_lambda_package_expanded = pathexpand(var.websocket_lambda_package)
  websocket_lambda_package_absolute = can(regex("^([A-Za-z]:)?[/\\\\]", local.websocket_lambda_package_expanded))
  websocket_lambda_package          = abspath(local.websocket_lambda_package_absolute ? local.websocket_lambda_package_expanded : "${path.module}/${local.websocket_lambda_package_expanded}")
}
