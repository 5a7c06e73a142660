//! Terraform's collection functions: `merge`, `lookup`, `length`, `concat`, `toset`, ...
//! A set is an array without repeats (sorted for strings, as Terraform iterates them).

use crate::functions::as_string;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl::Value;

pub(crate) fn declare(ctx: &mut Context<'_>) {
    let any = || ParamType::Any;
    let variadic = |ctx: &mut Context<'_>, name: &str, f: hcl::eval::Func| {
        ctx.declare_func(name, FuncDef::builder().variadic_param(any()).build(f));
    };
    variadic(ctx, "coalesce", coalesce);
    variadic(ctx, "merge", merge);
    variadic(ctx, "concat", concat);
    ctx.declare_func(
        "join",
        FuncDef::builder()
            .param(ParamType::String)
            .variadic_param(any())
            .build(join),
    );
    ctx.declare_func(
        "lookup",
        FuncDef::builder()
            .params([any(), ParamType::String])
            .variadic_param(any())
            .build(lookup),
    );
    let one = |ctx: &mut Context<'_>, name: &str, f: hcl::eval::Func| {
        ctx.declare_func(name, FuncDef::new(f, [any()]));
    };
    one(ctx, "length", length);
    one(ctx, "one", one_of);
    one(ctx, "keys", keys);
    one(ctx, "values", values);
    one(ctx, "toset", toset);
    one(ctx, "tolist", tolist);
    one(ctx, "tomap", tomap);
    one(ctx, "compact", compact);
    one(ctx, "flatten", flatten);
    one(ctx, "distinct", distinct);
    one(ctx, "sort", sort);
    let two = |ctx: &mut Context<'_>, name: &str, f: hcl::eval::Func| {
        ctx.declare_func(name, FuncDef::new(f, [any(), any()]));
    };
    two(ctx, "contains", contains);
    two(ctx, "element", element);
    two(ctx, "zipmap", zipmap);
}

fn items(value: &Value, function: &str) -> Result<Vec<Value>, String> {
    match value {
        Value::Array(a) => Ok(a.clone()),
        Value::Null => Err(format!("{function}: the collection is null")),
        other => Err(format!("{function}: {other} is not a list or set")),
    }
}

/// `one(list)`: null for an empty list, its element for a list of one, an error otherwise.
fn one_of(args: FuncArgs) -> Result<Value, String> {
    let list = items(&args[0], "one")?;
    match list.as_slice() {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        more => Err(format!(
            "one: the list has {} elements; it must have 0 or 1",
            more.len()
        )),
    }
}

fn coalesce(args: FuncArgs) -> Result<Value, String> {
    args.iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "no non-null, non-empty-string arguments".to_owned())
}

fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut out = hcl::Map::new();
    for arg in args.iter() {
        match arg {
            Value::Object(o) => out.extend(o.clone()),
            Value::Null => {}
            other => return Err(format!("merge: {other} is not a map or object")),
        }
    }
    Ok(Value::Object(out))
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for arg in args.iter() {
        out.extend(items(arg, "concat")?);
    }
    Ok(Value::Array(out))
}

/// `join(separator, lists...)`; the result's size is known, and checked against
/// [`crate::limits::MAX_VALUE_BYTES`], before anything is copied.
fn join(args: FuncArgs) -> Result<Value, String> {
    let sep = args[0].as_str().unwrap_or_default();
    let mut parts: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    let mut bytes = 0usize;
    for list in args.iter().skip(1) {
        let list = match list {
            Value::Array(a) => a,
            Value::Null => return Err("join: the collection is null".to_owned()),
            other => return Err(format!("join: {other} is not a list or set")),
        };
        for item in list {
            let part = match item {
                Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
                other => as_string(other)
                    .map(std::borrow::Cow::Owned)
                    .ok_or_else(|| format!("join: {other} is not a string"))?,
            };
            bytes = bytes.saturating_add(part.len() + sep.len());
            crate::limits::check_bytes("join()", bytes)?;
            parts.push(part);
        }
    }
    Ok(parts.join(sep).into())
}

fn lookup(args: FuncArgs) -> Result<Value, String> {
    let key = args[1].as_str().unwrap_or_default();
    let found = match &args[0] {
        Value::Object(o) => o.get(key).cloned(),
        other => return Err(format!("lookup: {other} is not a map")),
    };
    found
        .or_else(|| args.get(2).cloned())
        .ok_or_else(|| format!("lookup: the map has no key \"{key}\" and no default is given"))
}

fn length(args: FuncArgs) -> Result<Value, String> {
    let n = match &args[0] {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        Value::String(s) => s.chars().count(),
        other => return Err(format!("length: {other} has no length")),
    };
    Ok(Value::from(n as u64))
}

fn keys(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Object(o) => {
            let mut k: Vec<&String> = o.keys().collect();
            k.sort();
            Ok(Value::Array(
                k.into_iter().map(|k| k.clone().into()).collect(),
            ))
        }
        other => Err(format!("keys: {other} is not a map")),
    }
}

fn values(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Object(o) => {
            let mut entries: Vec<(&String, &Value)> = o.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Ok(Value::Array(
                entries.into_iter().map(|(_, v)| v.clone()).collect(),
            ))
        }
        other => Err(format!("values: {other} is not a map")),
    }
}

fn unique(list: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in list {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn toset(args: FuncArgs) -> Result<Value, String> {
    let mut set = unique(items(&args[0], "toset")?);
    if set.iter().all(|v| v.is_string()) {
        set.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    Ok(Value::Array(set))
}

fn tolist(args: FuncArgs) -> Result<Value, String> {
    items(&args[0], "tolist").map(Value::Array)
}

fn tomap(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Object(_) => Ok(args[0].clone()),
        other => Err(format!("tomap: {other} is not an object")),
    }
}

fn compact(args: FuncArgs) -> Result<Value, String> {
    let list = items(&args[0], "compact")?;
    Ok(Value::Array(
        list.into_iter()
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
            .collect(),
    ))
}

fn flatten(args: FuncArgs) -> Result<Value, String> {
    fn flat(list: Vec<Value>, out: &mut Vec<Value>) {
        for item in list {
            match item {
                Value::Array(inner) => flat(inner, out),
                other => out.push(other),
            }
        }
    }
    let mut out = Vec::new();
    flat(items(&args[0], "flatten")?, &mut out);
    Ok(Value::Array(out))
}

fn distinct(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(unique(items(&args[0], "distinct")?)))
}

fn sort(args: FuncArgs) -> Result<Value, String> {
    let mut list: Vec<String> = items(&args[0], "sort")?
        .iter()
        .map(|v| as_string(v).ok_or_else(|| format!("sort: {v} is not a string")))
        .collect::<Result<_, _>>()?;
    list.sort();
    Ok(Value::Array(list.into_iter().map(Value::from).collect()))
}

fn contains(args: FuncArgs) -> Result<Value, String> {
    Ok(items(&args[0], "contains")?.contains(&args[1]).into())
}

fn element(args: FuncArgs) -> Result<Value, String> {
    let list = items(&args[0], "element")?;
    let i = args[1]
        .as_u64()
        .ok_or("element: the index is not a whole number")? as usize;
    if list.is_empty() {
        return Err("element: the list is empty".to_owned());
    }
    Ok(list[i % list.len()].clone())
}

fn zipmap(args: FuncArgs) -> Result<Value, String> {
    let keys = items(&args[0], "zipmap")?;
    let values = items(&args[1], "zipmap")?;
    let mut out = hcl::Map::new();
    for (k, v) in keys.iter().zip(values) {
        out.insert(
            as_string(k).ok_or_else(|| format!("zipmap: {k} is not a string"))?,
            v,
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use crate::{Evaluator, Scope};
    use hcl::{Expression, Value};
    use std::str::FromStr;

    fn eval(src: &str) -> Result<Value, String> {
        let scope = Scope {
            cwd: "/repo".into(),
            home: None,
        };
        let e = Evaluator::new(scope, hcl::Map::new(), hcl::Map::new());
        e.eval(&Expression::from_str(src).map_err(|e| e.to_string())?)
    }

    #[test]
    fn the_functions_configurations_use_for_names_and_environments() {
        let cases = [
            (r#"format("%s-%d:%v%%", "chat", 3, true)"#, "chat-3:true%"),
            (r#"lookup({a = "x"}, "b", "fallback")"#, "fallback"),
            (r#"lookup({a = "x"}, "a")"#, "x"),
            (r#"merge({a = "1", b = "2"}, {b = "3"}).b"#, "3"),
            (r#"join(",", ["a"], ["b", "c"])"#, "a,b,c"),
            (r#"join("/", toset(["b", "a", "b"]))"#, "a/b"),
            (r#"split(":", "arn:aws:x")[1]"#, "aws"),
            (r#"jsonencode({a = 1})"#, r#"{"a":1}"#),
            (r#"element(concat(["a"], ["b"]), 3)"#, "b"),
            (r#"tostring(length(keys({x = 1, y = 2})))"#, "2"),
            (r#"try(lookup({}, "k"), "none")"#, "none"),
            (r#"join("", compact(["a", "", null, "b"]))"#, "ab"),
            (r#"one([{id = "x"}][*].id)"#, "x"),
            (r#"coalesce(one([]), "none")"#, "none"),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src), Ok(Value::from(want)), "{src}");
        }
        assert!(eval(r#"lookup({}, "k")"#).unwrap_err().contains("no key"));
        assert!(eval(r#"merge("x")"#).is_err());
        assert!(eval(r#"one(["a", "b"])"#).unwrap_err().contains("0 or 1"));
    }
}
