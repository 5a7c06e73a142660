//! Reading a template file: JSON or YAML, with YAML's short tags (`!Ref`, `!Sub`...) turned
//! into the long forms JSON templates write (`{"Ref": ...}`, `{"Fn::Sub": ...}`), so that one
//! evaluator serves both.

use crate::LoadError;
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A template's sections, as written (intrinsics not yet evaluated).
#[derive(Debug)]
pub(super) struct Template {
    /// The template file.
    pub(super) file: PathBuf,
    /// The folder paths in the template are relative to, made absolute so that the code's
    /// paths do not depend on the working directory of whoever uses them.
    pub(super) dir: PathBuf,
    /// `AWS::StackName`: the file's name without its extension.
    pub(super) stack_name: String,
    /// `Parameters`: each parameter's declaration (`Type`, `Default`, `AllowedValues`).
    pub(super) parameters: Map<String, Value>,
    /// `Conditions`: each condition's expression.
    pub(super) conditions: Map<String, Value>,
    /// `Mappings`, for `Fn::FindInMap`.
    pub(super) mappings: Map<String, Value>,
    /// SAM's `Globals: Function:` defaults.
    pub(super) function_globals: Map<String, Value>,
    /// `Resources` by logical id.
    pub(super) resources: BTreeMap<String, Resource>,
}

/// One entry of `Resources`.
#[derive(Debug)]
pub(super) struct Resource {
    /// `Type`, e.g. `AWS::ApiGatewayV2::Route`.
    pub(super) kind: String,
    /// `Properties`.
    pub(super) properties: Map<String, Value>,
    /// `Condition`: the resource exists only when it holds.
    pub(super) condition: Option<String>,
}

/// Reads and parses the template at `path`.
pub(super) fn read(path: &Path) -> Result<Template, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        file: path.to_owned(),
        source,
    })?;
    let parse_error = |message: String| LoadError::Parse {
        file: path.to_owned(),
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let root = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| parse_error(json_error(&e)))?
    } else {
        yaml_to_value(text).map_err(parse_error)?
    };
    sections(path, root)
}

/// A template from YAML text, as if read from `path` (for unit tests).
#[cfg(test)]
pub(super) fn from_yaml(path: &Path, text: &str) -> Template {
    sections(path, yaml_to_value(text).unwrap()).unwrap()
}

/// Splits the parsed document into its sections.
fn sections(path: &Path, root: Value) -> Result<Template, LoadError> {
    let parse_error = |message: &str| LoadError::Parse {
        file: path.to_owned(),
        message: message.to_owned(),
    };
    let Value::Object(mut root) = root else {
        return Err(parse_error(
            "is not a CloudFormation template (its top level is not a mapping): \
             give a template with a Resources section",
        ));
    };
    let mut section = |name: &str| match root.remove(name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(parse_error(&format!("its {name} section is not a mapping"))),
    };
    let parameters = section("Parameters")?;
    let conditions = section("Conditions")?;
    let mappings = section("Mappings")?;
    let mut globals = section("Globals")?;
    let raw_resources = section("Resources")?;
    if raw_resources.is_empty() {
        return Err(parse_error(
            "has no Resources: is this a CloudFormation or SAM template?",
        ));
    }
    let function_globals = match globals.remove("Function") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut resources = BTreeMap::new();
    for (id, value) in raw_resources {
        let resource_error = |message: &str| LoadError::Resource {
            file: path.to_owned(),
            resource: id.clone(),
            message: message.to_owned(),
        };
        let Value::Object(mut r) = value else {
            return Err(resource_error("is not a mapping with Type and Properties"));
        };
        let Some(Value::String(kind)) = r.remove("Type") else {
            return Err(resource_error("has no Type: give it one"));
        };
        let properties = match r.remove("Properties") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(resource_error("its Properties are not a mapping")),
        };
        let condition = match r.remove("Condition") {
            None => None,
            Some(Value::String(c)) => Some(c),
            Some(_) => return Err(resource_error("its Condition is not a condition's name")),
        };
        resources.insert(
            id,
            Resource {
                kind,
                properties,
                condition,
            },
        );
    }
    Ok(Template {
        file: path.to_owned(),
        dir: folder_of(path),
        stack_name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "stack".into()),
        parameters,
        conditions,
        mappings,
        function_globals,
        resources,
    })
}

/// The template's folder, absolute (as it is if the working directory is unknown).
fn folder_of(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::path::absolute(parent).unwrap_or_else(|_| parent.to_owned())
}

/// What is wrong with a JSON template: serde_json's own nesting limit (128, the YAML one
/// too) said as a limit, any other error as the syntax error it is.
fn json_error(e: &serde_json::Error) -> String {
    if e.to_string().starts_with("recursion limit exceeded") {
        return format!(
            "nests arrays and objects more than {} deep at line {}, column {}: a template \
             needs far fewer levels; flatten it",
            super::yaml_limits::MAX_DEPTH,
            e.line(),
            e.column()
        );
    }
    format!("invalid JSON: {e}: fix the syntax there")
}

/// Parses YAML text into the JSON form of the template; the error names the line. The text
/// is checked against the nesting and alias limits first (`yaml_limits`), as saphyr's
/// loader recurses per level and copies every alias.
fn yaml_to_value(text: &str) -> Result<Value, String> {
    super::yaml_limits::check(text)?;
    let docs = Yaml::load_from_str(text).map_err(|e| {
        format!(
            "invalid YAML at line {}, column {}: {}: fix the syntax there",
            e.marker().line(),
            e.marker().col() + 1,
            e.info()
        )
    })?;
    let doc = docs
        .first()
        .ok_or_else(|| "is empty: give a CloudFormation or SAM template".to_owned())?;
    convert(doc)
}

/// One YAML node in JSON form, short tags expanded.
fn convert(node: &Yaml<'_>) -> Result<Value, String> {
    Ok(match node {
        Yaml::Value(scalar) => scalar_value(scalar),
        Yaml::Representation(text, _, _) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(convert).collect::<Result<_, _>>()?),
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let key = match key {
                    Yaml::Value(Scalar::String(s)) => s.to_string(),
                    Yaml::Value(scalar) => match scalar_value(scalar) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    },
                    _ => return Err("a mapping key is not a plain scalar".into()),
                };
                map.insert(key, convert(value)?);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tag, inner) => {
            let inner = convert(inner)?;
            if tag.handle != "!" {
                return Ok(inner);
            }
            short_tag(&tag.suffix, inner)
        }
        Yaml::Alias(_) | Yaml::BadValue => {
            return Err(
                "holds a value YAML cannot resolve (an unknown alias or a bad !!tag)".into(),
            )
        }
    })
}

/// `!Ref x` → `{"Ref": x}`, `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`, `!Condition c` →
/// `{"Condition": c}`, any other `!Name x` → `{"Fn::Name": x}`.
fn short_tag(suffix: &str, inner: Value) -> Value {
    let (key, arg) = match (suffix, inner) {
        ("Ref", arg) => ("Ref".to_owned(), arg),
        ("Condition", arg) => ("Condition".to_owned(), arg),
        ("GetAtt", Value::String(s)) => {
            let arg = match s.split_once('.') {
                Some((resource, attribute)) => {
                    Value::Array(vec![resource.into(), attribute.into()])
                }
                None => Value::String(s),
            };
            ("Fn::GetAtt".to_owned(), arg)
        }
        (name, arg) => (format!("Fn::{name}"), arg),
    };
    Value::Object(Map::from_iter([(key, arg)]))
}

fn scalar_value(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner())
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(f.to_string())),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_tags_become_the_long_forms() {
        let v = yaml_to_value(
            "a: !Ref Name\n\
             b: !GetAtt Fn.Arn\n\
             c: !Sub 'x-${AWS::Region}'\n\
             d: !Join ['/', [integrations, !Ref Int]]\n\
             e: !If [IsProd, 1, !Ref AWS::NoValue]\n\
             f: !Not [!Condition IsProd]\n\
             g: !GetAtt [Fn, Arn]\n\
             h: 2.5\n\
             i: !!str 3\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "a": {"Ref": "Name"},
                "b": {"Fn::GetAtt": ["Fn", "Arn"]},
                "c": {"Fn::Sub": "x-${AWS::Region}"},
                "d": {"Fn::Join": ["/", ["integrations", {"Ref": "Int"}]]},
                "e": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]},
                "f": {"Fn::Not": [{"Condition": "IsProd"}]},
                "g": {"Fn::GetAtt": ["Fn", "Arn"]},
                "h": 2.5,
                "i": "3",
            })
        );
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let e = yaml_to_value("Resources:\n  A:\n    Type: x\n   bad: [\n").unwrap_err();
        assert!(e.contains("line 4"), "{e}");
    }

    #[test]
    fn json_with_a_byte_order_mark_is_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.template");
        std::fs::write(&path, "\u{feff}{\"Resources\": {\"A\": {\"Type\": \"X\"}}}").unwrap();
        let t = read(&path).unwrap();
        assert_eq!(t.resources["A"].kind, "X");
        assert_eq!(t.stack_name, "stack");
        std::fs::write(&path, "\u{feff}{\"Resources\": }").unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.contains("invalid JSON"), "{e}");
    }

    #[test]
    fn deep_json_is_refused_as_a_limit_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep.json");
        let deep = format!("{{\n\"Resources\": {}1", "[".repeat(20_000));
        std::fs::write(&path, deep).unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(
            e.contains("deep.json") && e.contains("more than 128 deep at line 2"),
            "{e}"
        );
    }

    #[test]
    fn anchors_resolve() {
        let v = yaml_to_value("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(v, json!({"a": {"k": 1}, "b": {"k": 1}}));
    }
}
