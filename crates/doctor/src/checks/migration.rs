//! The Python proxy's layout in the Terraform state, and the next step of the migration
//! (docs/MIGRATING.md): before it, during it (both functions deployed), or none.

use crate::{Finding, State, Status};
use serde_json::Value;

const GUIDE: &str = "docs/MIGRATING.md";
/// The old layout's API, stage and function, by address.
const OLD_API: &str = "aws_apigatewayv2_api.websocket";
const OLD_STAGE: &str = "aws_apigatewayv2_stage.websocket";
const OLD_FUNCTION: &str = "module.websocket_lambda.aws_lambda_function.websocket_proxy";
const OLD_TABLE: &str = "module.websocket_lambda.aws_dynamodb_table.websocket_connections";

/// One managed resource of the state: its address (module path, type, name, without the
/// instance key) and its first instance's attributes.
struct Resource<'a> {
    address: String,
    attributes: &'a Value,
}

fn resources(doc: &Value) -> Vec<Resource<'_>> {
    let Some(list) = doc.get("resources").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter(|r| r.get("mode").and_then(Value::as_str) == Some("managed"))
        .filter_map(|r| {
            let kind = r.get("type")?.as_str()?;
            let name = r.get("name")?.as_str()?;
            let address = match r.get("module").and_then(Value::as_str) {
                Some(module) => format!("{module}.{kind}.{name}"),
                None => format!("{kind}.{name}"),
            };
            let attributes = r.pointer("/instances/0/attributes")?;
            Some(Resource {
                address,
                attributes,
            })
        })
        .collect()
}

fn attr<'a>(resources: &'a [Resource<'_>], address: &str, name: &str) -> Option<&'a str> {
    resources
        .iter()
        .find(|r| r.address == address)
        .and_then(|r| r.attributes.get(name))
        .and_then(Value::as_str)
}

/// wsproxy's module's resource of `kind` named `this` (whatever the module call is named).
fn module_resource<'a>(resources: &'a [Resource<'a>], kind: &str) -> Option<&'a Resource<'a>> {
    let suffix = format!(".{kind}.this");
    resources
        .iter()
        .find(|r| r.address.starts_with("module.") && r.address.ends_with(&suffix))
}

/// The migration finding, or `None` when the state holds nothing of the Python proxy.
pub(super) fn check(state: &State) -> Option<Finding> {
    let State::Known { doc, origin } = state else {
        return None;
    };
    let all = resources(doc);
    let has = |address: &str| all.iter().any(|r| r.address == address);
    let new_api = module_resource(&all, "aws_apigatewayv2_api");
    if has(OLD_API) && new_api.is_none() {
        return Some(before(&all, origin));
    }
    if has(OLD_FUNCTION) && new_api.is_some() {
        return Some(during(&all, origin));
    }
    None
}

/// The old layout, untouched: steps 1 to 4 come next.
fn before(all: &[Resource<'_>], origin: &str) -> Finding {
    let api = attr(all, OLD_API, "name").unwrap_or("<the API's name>");
    let api_id = attr(all, OLD_API, "id").unwrap_or("<the API's id>");
    let stage = attr(all, OLD_STAGE, "name").unwrap_or("development");
    let table = attr(all, OLD_TABLE, "name").unwrap_or("<the table's name>");
    let function = attr(all, OLD_FUNCTION, "function_name").unwrap_or("<the old function>");
    Finding::new(
        "migration",
        Status::Warn,
        format!(
            "the state ({origin}) holds the Python proxy's layout: API {api} ({api_id}), stage {stage}, table {table}, function {function}; wsproxy's module is not deployed yet"
        ),
    )
    .fix(format!(
        "next: steps 1-4 of {GUIDE}: add module \"websocket_proxy\" with api_name = \"{api}\", stage_name = \"{stage}\", connections_table_name = \"{table}\", create_connections_table = false and a lambda_function_name other than {function}, plus the `moved` blocks of the guide (API, stage, three routes, integration); `terraform plan` must replace none of them; or, to leave the API and its stage where they are, attach the module to them (existing_api_id = \"{api_id}\", existing_stage_name = \"{stage}\", the routes and integration imported: the guide's \"Attaching to the API by id\"); clients keep wss://…/{stage}"
    ))
}

/// Both functions deployed: verify, then step 5 (or roll back).
fn during(all: &[Resource<'_>], origin: &str) -> Finding {
    let old = attr(all, OLD_FUNCTION, "function_name").unwrap_or("<the old function>");
    let old_arn = attr(all, OLD_FUNCTION, "arn");
    let uri = module_resource(all, "aws_apigatewayv2_integration")
        .and_then(|r| r.attributes.get("integration_uri"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if old_arn.is_some_and(|arn| uri.contains(&format!("{arn}/"))) {
        return Finding::new(
            "migration",
            Status::Warn,
            format!("the state ({origin}) holds wsproxy's module, but its integration still invokes the old function {old}"),
        )
        .fix(format!("the integration was pointed back (a rollback?): apply steps 1-4 of {GUIDE} again to move it to wsproxy's function"));
    }
    Finding::new(
        "migration",
        Status::Warn,
        format!(
            "the state ({origin}) is mid-migration: wsproxy's module serves the API, and the Python proxy's function {old} is still deployed (the way back)"
        ),
    )
    .fix(format!(
        "next: verify (connect a client to `terraform output -raw websocket_api_endpoint`, watch wsproxy's log group), then step 5 of {GUIDE}: delete module \"websocket_lambda\", let the module own the table (create_connections_table = true, a `moved` block from {OLD_TABLE}[0]); `terraform plan` must destroy only the old function, its role, policies and permission"
    ))
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::{State, Status};

    fn state(text: &str) -> State {
        State::Known {
            origin: "terraform.tfstate".into(),
            doc: serde_json::from_str(text).unwrap(),
        }
    }

    #[test]
    fn the_python_proxys_layout_gets_steps_1_to_4_with_its_own_names() {
        let finding = check(&state(include_str!(
            "../../tests/fixtures/python-proxy.tfstate"
        )))
        .expect("the old layout is recognised");
        assert_eq!(finding.status, Status::Warn);
        assert!(
            finding.message.contains("Python proxy's layout"),
            "{}",
            finding.message
        );
        let fix = finding.fix.unwrap();
        for expected in [
            "steps 1-4 of docs/MIGRATING.md",
            "api_name = \"chat-websocket\"",
            "stage_name = \"development\"",
            "connections_table_name = \"chat-websocket-connections\"",
            "other than chat-websocket-proxy",
        ] {
            assert!(fix.contains(expected), "{expected:?} not in {fix}");
        }
    }

    #[test]
    fn mid_migration_gets_step_5() {
        let finding = check(&state(include_str!(
            "../../tests/fixtures/mid-migration.tfstate"
        )))
        .expect("the migration is recognised");
        assert!(
            finding.message.contains("mid-migration"),
            "{}",
            finding.message
        );
        assert!(finding.fix.unwrap().contains("step 5 of docs/MIGRATING.md"));
    }

    #[test]
    fn an_integration_pointed_back_at_the_old_function_is_named() {
        let text = include_str!("../../tests/fixtures/mid-migration.tfstate").replace(
            "function:chat-wsproxy/invocations",
            "function:chat-websocket-proxy/invocations",
        );
        let finding = check(&state(&text)).unwrap();
        assert!(
            finding
                .message
                .contains("still invokes the old function chat-websocket-proxy"),
            "{}",
            finding.message
        );
    }

    /// The whole doctor on the Python proxy's root: the next step instead of "no module".
    #[tokio::test]
    async fn doctor_on_the_old_root_prints_the_next_step_not_a_missing_module() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("main.tf"),
            r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_apigatewayv2_api" "websocket" {
  name                       = "chat-websocket"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

module "websocket_lambda" {
  source         = "./websocket_lambda"
  name           = "chat"
  api_gateway_id = aws_apigatewayv2_api.websocket.id
}
"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("terraform.tfstate"),
            include_str!("../../tests/fixtures/python-proxy.tfstate"),
        )
        .unwrap();
        let options = crate::checks::Options {
            sources: None,
            aws: Err("not asked".into()),
            backend_timeout: std::time::Duration::from_secs(1),
        };
        let env = crate::Environment::load(dir.path(), &[]);
        let report = crate::checks::run("old", env, &options).await;
        let text = report.to_text();
        let finding = report
            .finding("migration")
            .unwrap_or_else(|| panic!("{text}"));
        let fix = finding.fix.as_deref().unwrap();
        assert!(fix.contains("steps 1-4"), "{text}");
        assert!(
            fix.contains("existing_api_id = \"7kz7xzeqa7\", existing_stage_name = \"development\""),
            "{text}"
        );
        assert!(report.finding("env.module").is_none(), "{text}");
    }

    #[test]
    fn wsproxys_own_state_and_no_state_say_nothing() {
        let text = r#"{"version": 4, "resources": [{"module": "module.websocket_proxy",
            "mode": "managed", "type": "aws_apigatewayv2_api", "name": "this",
            "instances": [{"attributes": {"id": "abc", "name": "wsproxy-dev"}}]}]}"#;
        assert!(check(&state(text)).is_none());
        assert!(check(&State::NeverApplied).is_none());
        assert!(check(&State::Unknown("no access".into())).is_none());
    }
}
