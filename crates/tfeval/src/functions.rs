//! Terraform's path, file and string functions, as they behave on the machine running
//! Terraform (the collection functions are in `collections`).

use crate::paths;
use base64::Engine;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl::Value;
use sha2::Digest;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

thread_local! {
    /// The folder `abspath()` and the file functions resolve against during one evaluation
    /// (hcl-rs functions are plain `fn`s and cannot capture it).
    static CWD: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
    /// The home folder `pathexpand()` uses.
    static HOME: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Runs `f` with the working folder and home the path functions use.
pub(crate) fn with_folders<T>(cwd: &Path, home: Option<&Path>, f: impl FnOnce() -> T) -> T {
    CWD.with(|c| *c.borrow_mut() = Some(cwd.to_path_buf()));
    HOME.with(|h| *h.borrow_mut() = home.map(Path::to_path_buf));
    let out = f();
    CWD.with(|c| *c.borrow_mut() = None);
    HOME.with(|h| *h.borrow_mut() = None);
    out
}

/// Declares every supported function in `ctx`.
pub(crate) fn declare(ctx: &mut Context<'_>) {
    let s = || ParamType::String;
    let any = || ParamType::Any;
    let one = |ctx: &mut Context<'_>, name: &str, f: hcl::eval::Func, p: ParamType| {
        ctx.declare_func(name, FuncDef::new(f, [p]));
    };
    one(ctx, "abspath", abspath, s());
    one(ctx, "pathexpand", pathexpand, s());
    one(ctx, "fileexists", fileexists, s());
    one(ctx, "file", file, s());
    one(ctx, "filebase64", filebase64, s());
    one(ctx, "filebase64sha256", filebase64sha256, s());
    one(ctx, "filesha256", filesha256, s());
    one(ctx, "dirname", dirname, s());
    one(ctx, "basename", basename, s());
    one(
        ctx,
        "lower",
        |a| Ok(str_arg(&a, 0).to_lowercase().into()),
        s(),
    );
    one(
        ctx,
        "upper",
        |a| Ok(str_arg(&a, 0).to_uppercase().into()),
        s(),
    );
    one(ctx, "trimspace", |a| Ok(str_arg(&a, 0).trim().into()), s());
    one(ctx, "base64encode", base64encode, s());
    one(ctx, "sha256", sha256, s());
    one(ctx, "base64sha256", base64sha256, s());
    one(ctx, "tostring", tostring, any());
    one(ctx, "tonumber", tonumber, any());
    one(ctx, "jsonencode", jsonencode, any());
    one(ctx, "jsondecode", jsondecode, s());
    let two = |ctx: &mut Context<'_>, name: &str, f: hcl::eval::Func| {
        ctx.declare_func(name, FuncDef::new(f, [s(), s()]));
    };
    two(ctx, "regex", regex);
    two(ctx, "split", split);
    two(ctx, "startswith", |a| {
        Ok(str_arg(&a, 0).starts_with(str_arg(&a, 1)).into())
    });
    two(ctx, "endswith", |a| {
        Ok(str_arg(&a, 0).ends_with(str_arg(&a, 1)).into())
    });
    two(ctx, "trimprefix", |a| {
        let (t, p) = (str_arg(&a, 0), str_arg(&a, 1));
        Ok(t.strip_prefix(p).unwrap_or(t).into())
    });
    two(ctx, "trimsuffix", |a| {
        let (t, p) = (str_arg(&a, 0), str_arg(&a, 1));
        Ok(t.strip_suffix(p).unwrap_or(t).into())
    });
    ctx.declare_func("replace", FuncDef::new(replace, [s(), s(), s()]));
    ctx.declare_func(
        "format",
        FuncDef::builder()
            .param(s())
            .variadic_param(any())
            .build(format),
    );
    crate::collections::declare(ctx);
}

/// The `i`th argument as a string ("" when it is not one).
pub(crate) fn str_arg(args: &FuncArgs, i: usize) -> &str {
    args[i].as_str().unwrap_or_default()
}

fn cwd() -> Result<PathBuf, String> {
    CWD.with(|c| c.borrow().clone())
        .ok_or_else(|| "no working folder set".to_owned())
}

fn abspath(args: FuncArgs) -> Result<Value, String> {
    let path = paths::abspath(str_arg(&args, 0), &cwd()?);
    Ok(path.to_string_lossy().into_owned().into())
}

fn pathexpand(args: FuncArgs) -> Result<Value, String> {
    let home = HOME.with(|h| h.borrow().clone());
    Ok(paths::pathexpand(str_arg(&args, 0), home.as_deref()).into())
}

fn fileexists(args: FuncArgs) -> Result<Value, String> {
    let path = paths::abspath(str_arg(&args, 0), &cwd()?);
    Ok(path.is_file().into())
}

/// A file's bytes, read relative to the working folder as Terraform does.
fn read(args: &FuncArgs) -> Result<Vec<u8>, String> {
    let given = str_arg(args, 0);
    let path = paths::abspath(given, &cwd()?);
    std::fs::read(&path).map_err(|e| format!("cannot read {given} ({}): {e}", path.display()))
}

fn file(args: FuncArgs) -> Result<Value, String> {
    String::from_utf8(read(&args)?)
        .map(Value::from)
        .map_err(|_| format!("{} is not UTF-8 text", str_arg(&args, 0)))
}

fn filebase64(args: FuncArgs) -> Result<Value, String> {
    Ok(base64::engine::general_purpose::STANDARD
        .encode(read(&args)?)
        .into())
}

fn filebase64sha256(args: FuncArgs) -> Result<Value, String> {
    let digest = sha2::Sha256::digest(read(&args)?);
    Ok(base64::engine::general_purpose::STANDARD
        .encode(digest)
        .into())
}

fn filesha256(args: FuncArgs) -> Result<Value, String> {
    Ok(hex(&sha2::Sha256::digest(read(&args)?)).into())
}

fn sha256(args: FuncArgs) -> Result<Value, String> {
    Ok(hex(&sha2::Sha256::digest(str_arg(&args, 0).as_bytes())).into())
}

fn base64sha256(args: FuncArgs) -> Result<Value, String> {
    let digest = sha2::Sha256::digest(str_arg(&args, 0).as_bytes());
    Ok(base64::engine::general_purpose::STANDARD
        .encode(digest)
        .into())
}

fn base64encode(args: FuncArgs) -> Result<Value, String> {
    Ok(base64::engine::general_purpose::STANDARD
        .encode(str_arg(&args, 0))
        .into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn dirname(args: FuncArgs) -> Result<Value, String> {
    let p = Path::new(str_arg(&args, 0));
    let dir = p.parent().map(|d| d.to_string_lossy().into_owned());
    Ok(match dir.as_deref() {
        None | Some("") => ".".into(),
        Some(d) => d.into(),
    })
}

fn basename(args: FuncArgs) -> Result<Value, String> {
    let p = Path::new(str_arg(&args, 0));
    Ok(p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .into())
}

/// `regex(pattern, string)`: the match, or its capture groups; an error when nothing matches.
fn regex(args: FuncArgs) -> Result<Value, String> {
    let re = regex::Regex::new(str_arg(&args, 0)).map_err(|e| e.to_string())?;
    let text = str_arg(&args, 1);
    let caps = re
        .captures(text)
        .ok_or_else(|| "pattern did not match any part of the given string".to_owned())?;
    if re.captures_len() == 1 {
        return Ok(caps[0].to_owned().into());
    }
    let groups = caps
        .iter()
        .skip(1)
        .map(|m| m.map_or(Value::Null, |m| m.as_str().into()))
        .collect();
    Ok(Value::Array(groups))
}

/// `replace(string, substring, replacement)`; a `/.../` substring is a regular expression.
fn replace(args: FuncArgs) -> Result<Value, String> {
    let (text, find, with) = (str_arg(&args, 0), str_arg(&args, 1), str_arg(&args, 2));
    if find.len() > 1 && find.starts_with('/') && find.ends_with('/') {
        let re = regex::Regex::new(&find[1..find.len() - 1]).map_err(|e| e.to_string())?;
        return Ok(re.replace_all(text, with).into_owned().into());
    }
    Ok(text.replace(find, with).into())
}

fn split(args: FuncArgs) -> Result<Value, String> {
    let (sep, text) = (str_arg(&args, 0), str_arg(&args, 1));
    Ok(Value::Array(text.split(sep).map(Value::from).collect()))
}

/// The value as Terraform converts it to a string, if it can.
pub(crate) fn as_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn tostring(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Null => Ok(Value::Null),
        other => as_string(other)
            .map(Value::from)
            .ok_or_else(|| format!("cannot convert {other} to a string")),
    }
}

fn tonumber(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Number(_) | Value::Null => Ok(args[0].clone()),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(hcl::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("cannot convert \"{s}\" to a number")),
        other => Err(format!("cannot convert {other} to a number")),
    }
}

fn jsonencode(args: FuncArgs) -> Result<Value, String> {
    serde_json::to_string(&args[0])
        .map(Value::from)
        .map_err(|e| e.to_string())
}

fn jsondecode(args: FuncArgs) -> Result<Value, String> {
    let json: serde_json::Value =
        serde_json::from_str(str_arg(&args, 0)).map_err(|e| e.to_string())?;
    hcl::to_value(json).map_err(|e| e.to_string())
}

/// `format(spec, values...)`: `%s`, `%d`, `%v`, `%q` and `%%`.
fn format(args: FuncArgs) -> Result<Value, String> {
    let spec = str_arg(&args, 0);
    let mut values = args.iter().skip(1);
    let mut out = String::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars.next().ok_or("format ends with a lone %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let value = values
            .next()
            .ok_or_else(|| format!("format: too few arguments for %{verb}"))?;
        let text = match verb {
            's' | 'd' | 'v' => as_string(value).unwrap_or_else(|| value.to_string()),
            'q' => format!("{:?}", as_string(value).unwrap_or_default()),
            other => return Err(format!("format: unsupported verb %{other}")),
        };
        out.push_str(&text);
    }
    Ok(out.into())
}
