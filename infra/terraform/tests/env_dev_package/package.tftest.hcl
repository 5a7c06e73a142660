# How envs/dev resolves websocket_lambda_package, checked offline: scripts/check-infra.sh
# copies envs/dev/variables.tf and envs/dev/package.tf (which need no provider) into
# TMP/repo/infra/terraform/envs/dev, creates TMP/repo/dist/bootstrap.zip, and runs
# `terraform test` there with this file.

variables {
  backend_url = "https://backend.example.com"
}

run "default_is_the_repository_root_dist" {
  command = plan
  assert {
    condition     = fileexists(local.websocket_lambda_package)
    error_message = "the default websocket_lambda_package resolves to ${local.websocket_lambda_package}, not to <repo>/dist/bootstrap.zip"
  }
  assert {
    # abspath() resolves against the directory terraform runs in (after -chdir); path.cwd
    # would not do here, it is the directory before -chdir.
    condition     = local.websocket_lambda_package == abspath("../../../../dist/bootstrap.zip")
    error_message = "the default does not resolve against the env folder: ${local.websocket_lambda_package}"
  }
}

run "relative_paths_are_cleaned" {
  command = plan
  variables { websocket_lambda_package = "./build//../../../../../dist/./bootstrap.zip" }
  assert {
    condition     = fileexists(local.websocket_lambda_package) && !strcontains(local.websocket_lambda_package, "..")
    error_message = "got ${local.websocket_lambda_package}"
  }
}

run "absolute_path_used_as_given" {
  command = plan
  variables { websocket_lambda_package = "/opt/wsproxy/./bootstrap.zip" }
  assert {
    condition     = local.websocket_lambda_package == "/opt/wsproxy/bootstrap.zip"
    error_message = "got ${local.websocket_lambda_package}"
  }
}

run "home_path_expanded" {
  command = plan
  variables { websocket_lambda_package = "~/wsproxy/bootstrap.zip" }
  assert {
    condition     = local.websocket_lambda_package == pathexpand("~/wsproxy/bootstrap.zip") && !startswith(local.websocket_lambda_package, "~")
    error_message = "got ${local.websocket_lambda_package}"
  }
}
