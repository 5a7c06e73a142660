//! Terraform's path, file and string functions, as they behave on the machine running
//! Terraform (the collection functions are in `collections`).

use crate::{limits, paths};
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

/// A regular file, opened relative to the working folder as Terraform does: a device, a
/// pipe or a folder is refused (`/dev/zero` never ends).
fn open(args: &FuncArgs) -> Result<(std::fs::File, u64), String> {
    let given = str_arg(args, 0);
    let path = paths::abspath(given, &cwd()?);
    let cannot = |e: std::io::Error| format!("cannot read {given} ({}): {e}", path.display());
    let file = std::fs::File::open(&path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(format!(
            "cannot read {given} ({}): not a regular file (a device, pipe or folder); give a file",
            path.display()
        ));
    }
    Ok((file, meta.len()))
}

/// A file's bytes, at most [`limits::MAX_VALUE_BYTES`] of them (a longer file is an error,
/// whatever its size said when it was opened).
fn read(args: &FuncArgs) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let (file, len) = open(args)?;
    let what = format!("the file {}", str_arg(args, 0));
    limits::check_bytes(&what, usize::try_from(len).unwrap_or(usize::MAX))?;
    let mut bytes = Vec::new();
    file.take(limits::MAX_VALUE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", str_arg(args, 0)))?;
    limits::check_bytes(&what, bytes.len())?;
    Ok(bytes)
}

/// The SHA-256 of a regular file of any size, read in pieces.
fn digest(args: &FuncArgs) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let (mut file, _) = open(args)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("cannot read {}: {e}", str_arg(args, 0))),
        }
    }
    Ok(hasher.finalize().to_vec())
}

fn file(args: FuncArgs) -> Result<Value, String> {
    String::from_utf8(read(&args)?)
        .map(Value::from)
        .map_err(|_| format!("{} is not UTF-8 text", str_arg(&args, 0)))
}

fn filebase64(args: FuncArgs) -> Result<Value, String> {
    let bytes = read(&args)?;
    limits::check_bytes("filebase64()", bytes.len().div_ceil(3) * 4)?;
    Ok(base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into())
}

fn filebase64sha256(args: FuncArgs) -> Result<Value, String> {
    Ok(base64::engine::general_purpose::STANDARD
        .encode(digest(&args)?)
        .into())
}

fn filesha256(args: FuncArgs) -> Result<Value, String> {
    Ok(hex(&digest(&args)?).into())
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
    limits::check_bytes("base64encode()", str_arg(&args, 0).len().div_ceil(3) * 4)?;
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
    // The result's size is counted, match by match, before it is built: an empty pattern
    // matches between every two characters, so it can be |text| times |with|.
    let grown = |matches: usize, matched: usize, per_match: usize| {
        text.len()
            .saturating_sub(matched)
            .saturating_add(matches.saturating_mul(per_match))
    };
    if find.len() > 1 && find.starts_with('/') && find.ends_with('/') {
        let re = regex::Regex::new(&find[1..find.len() - 1]).map_err(|e| e.to_string())?;
        // A `$n` in the replacement expands to at most the whole match.
        let expansions = with.matches('$').count();
        let (mut matches, mut matched, mut expanded) = (0usize, 0usize, 0usize);
        for m in re.find_iter(text) {
            matches += 1;
            matched += m.len();
            expanded = expanded.saturating_add(expansions.saturating_mul(m.len()));
        }
        let bytes = grown(matches, matched, with.len()).saturating_add(expanded);
        limits::check_bytes("replace()", bytes)?;
        return Ok(re.replace_all(text, with).into_owned().into());
    }
    let matches = match find {
        "" => text.chars().count() + 1,
        _ => text.matches(find).count(),
    };
    limits::check_bytes(
        "replace()",
        grown(matches, matches * find.len(), with.len()),
    )?;
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
    let json = serde_json::to_string(&args[0]).map_err(|e| e.to_string())?;
    limits::check_bytes("jsonencode()", json.len())?;
    Ok(json.into())
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
        limits::check_bytes("format()", out.len())?;
    }
    Ok(out.into())
}
