//! The attributes AWS gives a resource that other resources read (`id`, `arn`,
//! `invoke_arn`, `api_endpoint`, ...), computed from its arguments the way AWS names them,
//! with made-up but stable ids and the account `123456789012`.

use super::modules::ResourceBlock;
use hcl::Value;

/// The account id in the ARNs built here.
pub(crate) const ACCOUNT_ID: &str = "123456789012";

/// The region and account the ARNs are built with.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    /// e.g. `us-east-1`.
    pub region: String,
}

/// The invoke ARN API Gateway uses for a function ARN.
pub(crate) fn invoke_arn(region: &str, function_arn: &str) -> String {
    format!(
        "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
}

/// The function name in an invoke ARN or a function ARN (without a `:qualifier`), if it is one.
pub(crate) fn function_name_of(uri: &str) -> Option<String> {
    let arn = uri
        .strip_suffix("/invocations")
        .and_then(|u| u.rsplit_once("/functions/").map(|(_, arn)| arn))
        .unwrap_or(uri);
    let rest = arn.split_once(":function:").map(|(_, rest)| rest)?;
    rest.split(':').next().map(str::to_owned)
}

/// Adds the computed attributes of `block`'s instance at `address` that its arguments don't set.
pub(crate) fn add(
    block: &ResourceBlock,
    address: &str,
    object: &mut hcl::Map<String, Value>,
    account: &Account,
) {
    let region = account.region.as_str();
    let acct = ACCOUNT_ID;
    let text = |object: &hcl::Map<String, Value>, key: &str| {
        object.get(key).and_then(Value::as_str).map(str::to_owned)
    };
    let mut computed: Vec<(&str, String)> = Vec::new();
    match (block.data, block.rtype.as_str()) {
        (_, "aws_lambda_function") => {
            if let Some(name) = text(object, "function_name") {
                let arn = format!("arn:aws:lambda:{region}:{acct}:function:{name}");
                computed.push(("invoke_arn", invoke_arn(region, &arn)));
                computed.push(("qualified_arn", format!("{arn}:$LATEST")));
                computed.push(("arn", arn));
                computed.push(("version", "$LATEST".into()));
                computed.push(("id", name));
            }
        }
        (false, "aws_apigatewayv2_api") => {
            let id = fake_id(address, 10);
            let scheme = match text(object, "protocol_type").as_deref() {
                Some("WEBSOCKET") => "wss",
                _ => "https",
            };
            computed.push((
                "api_endpoint",
                format!("{scheme}://{id}.execute-api.{region}.amazonaws.com"),
            ));
            computed.push((
                "execution_arn",
                format!("arn:aws:execute-api:{region}:{acct}:{id}"),
            ));
            computed.push(("arn", format!("arn:aws:apigateway:{region}::/apis/{id}")));
            computed.push(("id", id));
        }
        (false, "aws_apigatewayv2_stage") => {
            if let (Some(api), Some(name)) = (text(object, "api_id"), text(object, "name")) {
                computed.push((
                    "invoke_url",
                    format!("wss://{api}.execute-api.{region}.amazonaws.com/{name}"),
                ));
                computed.push((
                    "execution_arn",
                    format!("arn:aws:execute-api:{region}:{acct}:{api}/{name}"),
                ));
                computed.push(("id", name));
            }
        }
        (false, t) if t.starts_with("aws_apigatewayv2_") => {
            computed.push(("id", fake_id(address, 7)));
        }
        (_, "archive_file") => {
            // Not built here: a placeholder of the right shape.
            computed.push(("output_base64sha256", format!("{}=", "A".repeat(43))));
            computed.push(("output_sha", "0".repeat(40)));
            computed.push(("output_md5", "0".repeat(32)));
            computed.push(("output_size", "0".into()));
            computed.push(("id", "0".repeat(40)));
        }
        (true, "aws_region") => {
            let name = text(object, "name")
                .or_else(|| text(object, "region"))
                .unwrap_or_else(|| region.to_owned());
            computed.push(("endpoint", format!("ec2.{name}.amazonaws.com")));
            computed.push(("description", name.clone()));
            computed.push(("region", name.clone()));
            computed.push(("id", name.clone()));
            computed.push(("name", name));
        }
        (true, "aws_caller_identity") => {
            computed.push(("account_id", acct.into()));
            computed.push(("arn", format!("arn:aws:iam::{acct}:root")));
            computed.push(("user_id", acct.into()));
            computed.push(("id", acct.into()));
        }
        (true, "aws_partition") => {
            computed.push(("partition", "aws".into()));
            computed.push(("dns_suffix", "amazonaws.com".into()));
            computed.push(("id", "aws".into()));
        }
        (_, "aws_dynamodb_table") => {
            if let Some(name) = text(object, "name") {
                computed.push((
                    "arn",
                    format!("arn:aws:dynamodb:{region}:{acct}:table/{name}"),
                ));
                computed.push(("id", name));
            }
        }
        (_, "aws_iam_role") => {
            if let Some(name) = text(object, "name") {
                computed.push(("arn", format!("arn:aws:iam::{acct}:role/{name}")));
                computed.push(("id", name));
            }
        }
        _ => {}
    }
    for (key, value) in computed {
        object.entry(key.to_owned()).or_insert(Value::from(value));
    }
}

/// A stable id of `len` lowercase letters and digits made from the address.
fn fake_id(address: &str, len: usize) -> String {
    // FNV-1a, then base 36.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in address.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..len)
        .map(|_| {
            let d = DIGITS[(hash % 36) as usize] as char;
            hash = (hash / 36) ^ hash.rotate_left(17);
            d
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_come_out_of_invoke_and_function_arns() {
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:chat";
        assert_eq!(
            function_name_of(&invoke_arn("eu-west-1", arn)).as_deref(),
            Some("chat")
        );
        assert_eq!(
            function_name_of(&format!("{arn}:live")).as_deref(),
            Some("chat")
        );
        assert_eq!(function_name_of("https://example.com/x"), None);
        assert_eq!(fake_id("aws_apigatewayv2_api.chat", 10).len(), 10);
        assert_ne!(fake_id("a.b", 7), fake_id("a.c", 7));
    }
}
