//! A Lambda authorizer's answer: `principalId`, an IAM `policyDocument` and a `context` map,
//! judged as API Gateway does for the `$connect` method ARN.

use serde_json::{Map, Value};

/// API Gateway's quota on a Lambda authorizer's result (not raisable).
pub(crate) const MAX_RESULT_BYTES: usize = 8 * 1024;

/// What the policy says about the method ARN.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Allowed: `requestContext.authorizer` for every event of the connection (the
    /// `context` entries and `principalId`).
    Allow(Map<String, Value>),
    /// Denied, explicitly or for want of an `Allow` that matches.
    Deny,
}

/// Judges the authorizer's answer for `method_arn`; `Err` says why the answer is unusable
/// (API Gateway then answers 500, as for an `AuthorizerConfigurationException`).
pub(crate) fn evaluate(answer: &[u8], method_arn: &str) -> Result<Verdict, String> {
    if answer.len() > MAX_RESULT_BYTES {
        return Err(format!(
            "the authorizer's answer is {} bytes, over API Gateway's {MAX_RESULT_BYTES}-byte \
             quota on an authorizer result",
            answer.len()
        ));
    }
    let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(answer) else {
        return Err("the authorizer's answer is not a JSON object".to_owned());
    };
    let principal = match answer.get("principalId") {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(n @ Value::Number(_)) => n.clone(),
        _ => return Err("the authorizer's answer has no principalId".to_owned()),
    };
    let Some(Value::Object(policy)) = answer.get("policyDocument") else {
        return Err("the authorizer's answer has no policyDocument object".to_owned());
    };
    let statements = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Err("the policyDocument has no Statement".to_owned()),
    };
    let mut allowed = false;
    for statement in statements {
        let Value::Object(st) = statement else {
            return Err("a policy Statement is not an object".to_owned());
        };
        let effect = match st.get("Effect").and_then(Value::as_str) {
            Some("Allow") => true,
            Some("Deny") => false,
            _ => return Err("a policy Statement's Effect is not Allow or Deny".to_owned()),
        };
        let actions = strings(st.get("Action"), "Action")?;
        let resources = strings(st.get("Resource"), "Resource")?;
        let action_matches = actions
            .iter()
            .any(|a| wildcard(&a.to_ascii_lowercase(), "execute-api:invoke"));
        let resource_matches = resources.iter().any(|r| wildcard(r, method_arn));
        if action_matches && resource_matches {
            if !effect {
                return Ok(Verdict::Deny);
            }
            allowed = true;
        }
    }
    if !allowed {
        return Ok(Verdict::Deny);
    }
    let mut context = match answer.get("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c.clone(),
        Some(_) => return Err("the authorizer's context is not an object".to_owned()),
    };
    if let Some((key, _)) = context
        .iter()
        .find(|(_, v)| !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)))
    {
        return Err(format!(
            "the authorizer's context value '{key}' is not a string, number or boolean"
        ));
    }
    context.insert("principalId".to_owned(), principal);
    Ok(Verdict::Allow(context))
}

/// A policy element that is one string or a list of strings.
fn strings<'a>(value: Option<&'a Value>, what: &str) -> Result<Vec<&'a str>, String> {
    let bad = || format!("a policy Statement's {what} is not a string or a list of strings");
    match value {
        Some(Value::String(s)) => Ok(vec![s.as_str()]),
        Some(Value::Array(list)) => list.iter().map(|v| v.as_str().ok_or_else(bad)).collect(),
        _ => Err(bad()),
    }
}

/// IAM's matching: `*` stands for any run of characters, `?` for any one.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:local/dev/$connect";

    fn answer(effect: &str, resource: Value, context: Value) -> Vec<u8> {
        json!({
            "principalId": "user-1",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]
            },
            "context": context
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(wildcard("*", ARN));
        assert!(wildcard("arn:aws:execute-api:*:*:local/dev/*", ARN));
        assert!(wildcard(
            "arn:aws:execute-api:us-east-1:000000000000:local/*/$connect",
            ARN
        ));
        assert!(wildcard("arn:aws:execute-api:us-east-?:*", ARN));
        assert!(!wildcard("arn:aws:execute-api:*:*:other/*", ARN));
        assert!(!wildcard("arn:aws:execute-api:*:*:local/prod/*", ARN));
        assert!(wildcard("execute-api:*", "execute-api:invoke"));
        assert!(!wildcard("s3:*", "execute-api:invoke"));
    }

    #[test]
    fn an_allow_gives_the_context_and_the_principal() {
        let a = answer(
            "Allow",
            json!(ARN),
            json!({"user": "ann", "n": 3, "admin": false}),
        );
        let Verdict::Allow(ctx) = evaluate(&a, ARN).unwrap() else {
            panic!("allowed")
        };
        assert_eq!(
            Value::Object(ctx),
            json!({"user": "ann", "n": 3, "admin": false, "principalId": "user-1"})
        );
    }

    #[test]
    fn deny_wins_and_no_match_denies() {
        assert_eq!(
            evaluate(&answer("Deny", json!("*"), json!({})), ARN),
            Ok(Verdict::Deny)
        );
        let other = answer("Allow", json!(["arn:aws:execute-api:*:*:x/*"]), json!(null));
        assert_eq!(evaluate(&other, ARN), Ok(Verdict::Deny));
        let both = json!({"principalId": "p", "policyDocument": {"Statement": [
            {"Action": "*", "Effect": "Allow", "Resource": "*"},
            {"Action": ["execute-api:*"], "Effect": "Deny", "Resource": ARN}
        ]}});
        assert_eq!(
            evaluate(both.to_string().as_bytes(), ARN),
            Ok(Verdict::Deny)
        );
    }

    #[test]
    fn malformed_answers_are_errors() {
        let bad = |v: Value| evaluate(v.to_string().as_bytes(), ARN).unwrap_err();
        assert!(bad(json!("Allow")).contains("not a JSON object"));
        assert!(bad(json!({"policyDocument": {}})).contains("principalId"));
        assert!(bad(json!({"principalId": "p"})).contains("policyDocument"));
        assert!(
            bad(json!({"principalId": "p", "policyDocument": {"Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Maybe", "Resource": "*"}]}}))
            .contains("Effect")
        );
        let nested = answer("Allow", json!("*"), json!({"user": {"id": 1}}));
        assert!(evaluate(&nested, ARN).unwrap_err().contains("'user'"));
        let big = answer(
            "Allow",
            json!("*"),
            json!({"pad": "x".repeat(MAX_RESULT_BYTES)}),
        );
        assert!(evaluate(&big, ARN).unwrap_err().contains("8192"));
        assert!(evaluate(b"not json", ARN).is_err());
    }
}
