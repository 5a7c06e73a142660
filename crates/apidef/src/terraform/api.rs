//! The WebSocket API of an evaluated configuration: its `aws_apigatewayv2_api`, routes,
//! route responses, Lambda proxy integrations, `$connect` authorizer and stage.

use super::attributes::{required, resource_error, string};
use super::computed::function_name_of;
use super::engine::Engine;
use super::instances::Instance;
use super::{function, TerraformOptions};
use crate::{ApiDefinition, AuthorizerDef, FunctionDef, LoadError, RouteDef};
use hcl::Value;
use std::path::Path;
use std::rc::Rc;

/// Every instance of a resource type, or the error of one whose count can't be known.
fn instances(engine: &Engine, rtype: &str) -> Result<Vec<Rc<Instance>>, LoadError> {
    let mut out = Vec::new();
    for (m, b, list) in engine.all_of(false, rtype) {
        match list.as_ref() {
            Ok(list) => out.extend(list.iter().cloned()),
            Err(e) => {
                let block = &engine.tree.modules[m].resources[b];
                return Err(LoadError::Resource {
                    file: block.file.clone(),
                    resource: format!("{}{}", engine.tree.modules[m].prefix, block.local_address()),
                    message: format!("{e}: wsproxy evaluates the configuration offline; make it a value known before apply"),
                });
            }
        }
    }
    Ok(out)
}

fn computed<'a>(inst: &'a Instance, key: &str) -> Option<&'a str> {
    inst.object.get(key).and_then(Value::as_str)
}

/// The instances of `rtype` that belong to the API with id `api_id`.
fn of_api(engine: &Engine, rtype: &str, api_id: &str) -> Result<Vec<Rc<Instance>>, LoadError> {
    let mut out = Vec::new();
    for inst in instances(engine, rtype)? {
        if string(engine, &inst, "api_id")?.as_deref() == Some(api_id) {
            out.push(inst);
        }
    }
    Ok(out)
}

/// Reads the WebSocket API of the configuration in `dir`.
pub(crate) fn read(
    engine: &Engine,
    options: &TerraformOptions,
    dir: &Path,
) -> Result<ApiDefinition, LoadError> {
    let api = select_api(engine, options, dir)?;
    let api_id = computed(&api, "id").unwrap_or_default().to_owned();
    let name = required(engine, &api, "name")?;
    let route_selection_expression = string(engine, &api, "route_selection_expression")?
        .ok_or_else(|| {
            resource_error(
                engine,
                &api,
                "route_selection_expression is not set: a WebSocket API needs one, e.g. \
                 \"$request.body.action\""
                    .to_owned(),
            )
        })?;
    let stage = match of_api(engine, "aws_apigatewayv2_stage", &api_id)?.first() {
        Some(s) => Some(required(engine, s, "name")?),
        None => None,
    };
    let integrations = of_api(engine, "aws_apigatewayv2_integration", &api_id)?;
    let authorizers = of_api(engine, "aws_apigatewayv2_authorizer", &api_id)?;
    let responses = of_api(engine, "aws_apigatewayv2_route_response", &api_id)?;
    let mut functions: Vec<FunctionDef> = Vec::new();
    let mut use_function = |inst: Rc<Instance>| -> Result<String, LoadError> {
        let def = function::read(engine, &inst)?;
        let name = def.name.clone();
        if !functions.iter().any(|f| f.name == name) {
            functions.push(def);
        }
        Ok(name)
    };
    let mut routes = Vec::new();
    let mut authorizer = None;
    for route in of_api(engine, "aws_apigatewayv2_route", &api_id)? {
        let route_key = required(engine, &route, "route_key")?;
        let Some(target) = string(engine, &route, "target")? else {
            continue; // A route without an integration: nothing to run.
        };
        let integration = target
            .strip_prefix("integrations/")
            .and_then(|id| integrations.iter().find(|i| computed(i, "id") == Some(id)))
            .ok_or_else(|| {
                resource_error(
                    engine,
                    &route,
                    format!(
                        "target \"{target}\" names no aws_apigatewayv2_integration of {}: \
                         set target = \"integrations/${{aws_apigatewayv2_integration.NAME.id}}\"",
                        api.address
                    ),
                )
            })?;
        let function = use_function(integration_function(engine, integration)?)?;
        if string(engine, &route, "authorization_type")?.as_deref() == Some("CUSTOM") {
            if route_key != "$connect" {
                return Err(resource_error(
                    engine,
                    &route,
                    "authorization_type = \"CUSTOM\" on a route other than $connect: API \
                     Gateway authorizes WebSocket connections on $connect only"
                        .to_owned(),
                ));
            }
            let id = required(engine, &route, "authorizer_id")?;
            let inst = authorizers
                .iter()
                .find(|a| computed(a, "id") == Some(id.as_str()))
                .ok_or_else(|| {
                    resource_error(
                        engine,
                        &route,
                        format!(
                            "authorizer_id \"{id}\" names no aws_apigatewayv2_authorizer of {}",
                            api.address
                        ),
                    )
                })?;
            authorizer = Some(read_authorizer(engine, inst, &mut use_function)?);
        }
        let route_id = computed(&route, "id").unwrap_or_default();
        let mut has_response = false;
        for r in &responses {
            if string(engine, r, "route_id")?.as_deref() == Some(route_id)
                && string(engine, r, "route_response_key")?.as_deref() == Some("$default")
            {
                has_response = true;
            }
        }
        let selection = string(engine, &route, "route_response_selection_expression")?;
        routes.push(RouteDef {
            route_key,
            resource: route.address.clone(),
            function,
            route_response: has_response && selection.is_some(),
        });
    }
    Ok(ApiDefinition {
        source: dir.to_path_buf(),
        resource: api.address.clone(),
        name,
        route_selection_expression,
        stage,
        routes,
        functions,
        authorizer,
    })
}

/// The WebSocket API: the only one, or the one `options.api` names.
fn select_api(
    engine: &Engine,
    options: &TerraformOptions,
    dir: &Path,
) -> Result<Rc<Instance>, LoadError> {
    let mut websocket = Vec::new();
    let mut others = Vec::new();
    for inst in instances(engine, "aws_apigatewayv2_api")? {
        let protocol = string(engine, &inst, "protocol_type")?.unwrap_or_default();
        if protocol == "WEBSOCKET" {
            let name = string(engine, &inst, "name")?.unwrap_or_default();
            websocket.push((inst, name));
        } else {
            others.push(format!("{} ({protocol})", inst.address));
        }
    }
    let api_error = |message: String| LoadError::Api {
        file: dir.to_path_buf(),
        message,
    };
    let listed = |list: &[(Rc<Instance>, String)]| {
        list.iter()
            .map(|(i, n)| format!("{} (name \"{n}\")", i.address))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(wanted) = &options.api {
        let found = websocket
            .iter()
            .find(|(i, n)| &i.address == wanted || n == wanted);
        return found.map(|(i, _)| i.clone()).ok_or_else(|| {
            api_error(format!(
                "no WebSocket API has the address or name \"{wanted}\" (WebSocket APIs: {})",
                listed(&websocket)
            ))
        });
    }
    match websocket.len() {
        1 => Ok(websocket.remove(0).0),
        0 => {
            let mut message = format!(
                "no aws_apigatewayv2_api with protocol_type = \"WEBSOCKET\" here or in its \
                 local modules ({} module(s) read)",
                engine.tree.modules.len()
            );
            if !others.is_empty() {
                message.push_str(&format!("; other APIs: {}", others.join(", ")));
            }
            if !engine.tree.skipped.is_empty() {
                message.push_str(&format!(
                    "; modules not read (only local sources are): {}",
                    engine.tree.skipped.join(", ")
                ));
            }
            message
                .push_str(": give the folder of the configuration that defines the WebSocket API");
            Err(api_error(message))
        }
        _ => Err(api_error(format!(
            "several WebSocket APIs: {}: choose one by its address or name (--api)",
            listed(&websocket)
        ))),
    }
}

/// The function a Lambda proxy integration invokes.
fn integration_function(engine: &Engine, inst: &Instance) -> Result<Rc<Instance>, LoadError> {
    let kind = string(engine, inst, "integration_type")?.unwrap_or_default();
    if kind != "AWS_PROXY" {
        return Err(resource_error(
            engine,
            inst,
            format!(
                "integration_type is \"{kind}\": the local gateway runs Lambda proxy \
                 integrations only (integration_type = \"AWS_PROXY\" with the function's \
                 invoke_arn as integration_uri)"
            ),
        ));
    }
    let uri = required(engine, inst, "integration_uri")?;
    lambda_named_by(engine, inst, "integration_uri", &uri)
}

fn read_authorizer(
    engine: &Engine,
    inst: &Instance,
    use_function: &mut impl FnMut(Rc<Instance>) -> Result<String, LoadError>,
) -> Result<AuthorizerDef, LoadError> {
    let kind = string(engine, inst, "authorizer_type")?.unwrap_or_default();
    if kind != "REQUEST" {
        return Err(resource_error(
            engine,
            inst,
            format!("authorizer_type is \"{kind}\": a WebSocket API's authorizer is a Lambda REQUEST authorizer"),
        ));
    }
    let uri = required(engine, inst, "authorizer_uri")?;
    let function = use_function(lambda_named_by(engine, inst, "authorizer_uri", &uri)?)?;
    let identity_sources = match engine.attribute(inst, "identity_sources") {
        Ok(Some(Value::Array(list))) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Ok(_) => Vec::new(),
        Err(e) => {
            return Err(resource_error(
                engine,
                inst,
                format!("identity_sources can't be worked out offline: {e}"),
            ))
        }
    };
    Ok(AuthorizerDef {
        name: required(engine, inst, "name")?,
        resource: inst.address.clone(),
        function,
        identity_sources,
    })
}

/// The `aws_lambda_function` an invoke ARN (or function ARN) names.
fn lambda_named_by(
    engine: &Engine,
    referrer: &Instance,
    attribute: &str,
    uri: &str,
) -> Result<Rc<Instance>, LoadError> {
    let Some(name) = function_name_of(uri) else {
        return Err(resource_error(
            engine,
            referrer,
            format!("{attribute} \"{uri}\" is not a Lambda function's invoke ARN: the local gateway runs Lambda functions only"),
        ));
    };
    let named = |inst: &Rc<Instance>| computed(inst, "function_name") == Some(name.as_str());
    // A function whose count or name can't be known is no reason to fail, unless nothing
    // else matches: then it may be the one.
    let mut unsure = Vec::new();
    for (m, b, list) in engine.all_of(false, "aws_lambda_function") {
        match list.as_ref() {
            Ok(list) => {
                if let Some(f) = list.iter().find(|i| named(i)) {
                    return Ok(f.clone());
                }
                unsure.extend(
                    list.iter()
                        .filter(|i| computed(i, "function_name").is_none())
                        .map(|i| {
                            let why = i.unknown.iter().find(|(a, _)| a == "function_name");
                            format!(
                                "{}'s function_name can't be known: {}",
                                i.address,
                                why.map_or("not set", |(_, e)| e)
                            )
                        }),
                );
            }
            Err(e) => {
                let block = &engine.tree.modules[m].resources[b];
                unsure.push(format!(
                    "{}{}: {e}",
                    engine.tree.modules[m].prefix,
                    block.local_address()
                ));
            }
        }
    }
    let existing = engine
        .all_of(true, "aws_lambda_function")
        .into_iter()
        .filter_map(|(_, _, list)| list.as_ref().as_ref().ok().cloned())
        .flatten()
        .find(named);
    let mut message = match existing {
        Some(data) => format!(
            "invokes the existing function \"{name}\" ({}), which this configuration reads \
             but does not create, so its code is not here and it can't be run locally: \
             define it with an aws_lambda_function whose code is on this machine, or run \
             your function with --lambda",
            data.address
        ),
        None => format!(
            "invokes the function \"{name}\" ({attribute} = \"{uri}\"), which no \
             aws_lambda_function in this configuration creates, so it can't be run locally: \
             define it here with its code on this machine, or run your function with --lambda"
        ),
    };
    if !unsure.is_empty() {
        message.push_str(&format!(" (not known offline: {})", unsure.join("; ")));
    }
    Err(resource_error(engine, referrer, message))
}
