//! Evaluating a Terraform expression the way Terraform would, for the functions and
//! references an environment uses to say where its package is: `var.*`, `local.*`,
//! `path.*`, `abspath`, `pathexpand`, `can`, `try`, `regex`, `coalesce`, ...
//!
//! hcl-rs evaluates the expression tree; `can()` and `try()`, which must see an error instead
//! of failing with it, are folded into values before that.

use crate::paths;
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::expr::{Conditional, FuncCall, Operation};
use hcl::{Expression, Value};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

thread_local! {
    /// The folder `abspath()` and `fileexists()` resolve against during one evaluation
    /// (hcl-rs functions are plain `fn`s and cannot capture it).
    static CWD: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
    /// The home folder `pathexpand()` uses.
    static HOME: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Where an evaluation runs: Terraform's working folder and the user's home.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The folder Terraform runs in (the environment, absolute).
    pub cwd: PathBuf,
    /// `$HOME`, for `pathexpand()`.
    pub home: Option<PathBuf>,
}

/// A context with `var`, `local`, `path` and the supported functions.
pub struct Evaluator {
    ctx: Context<'static>,
    scope: Scope,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator").finish_non_exhaustive()
    }
}

impl Evaluator {
    /// An evaluator for a root module in `scope.cwd` with these variable and local values.
    pub fn new(
        scope: Scope,
        vars: hcl::Map<String, Value>,
        locals: hcl::Map<String, Value>,
    ) -> Self {
        let mut ctx = Context::new();
        ctx.declare_var("var", Value::Object(vars));
        ctx.declare_var("local", Value::Object(locals));
        let mut path = hcl::Map::new();
        // In the root module path.module and path.root are ".", and path.cwd is absolute.
        path.insert("module".into(), Value::from("."));
        path.insert("root".into(), Value::from("."));
        path.insert(
            "cwd".into(),
            Value::from(scope.cwd.to_string_lossy().into_owned()),
        );
        ctx.declare_var("path", Value::Object(path));
        let mut terraform = hcl::Map::new();
        terraform.insert("workspace".into(), Value::from("default"));
        ctx.declare_var("terraform", Value::Object(terraform));
        declare_functions(&mut ctx);
        Evaluator { ctx, scope }
    }

    /// The expression's value, or why it has none here.
    pub fn eval(&self, expr: &Expression) -> Result<Value, String> {
        CWD.with(|c| *c.borrow_mut() = Some(self.scope.cwd.clone()));
        HOME.with(|h| *h.borrow_mut() = self.scope.home.clone());
        let result = fold(expr, &self.ctx)
            .evaluate(&self.ctx)
            .map_err(|e| e.to_string());
        CWD.with(|c| *c.borrow_mut() = None);
        HOME.with(|h| *h.borrow_mut() = None);
        result
    }
}

/// Replaces `can(x)` by whether `x` evaluates, and `try(a, b, ...)` by the first argument that does.
fn fold(expr: &Expression, ctx: &Context<'_>) -> Expression {
    match expr {
        Expression::FuncCall(call) => {
            let args: Vec<Expression> = call.args.iter().map(|a| fold(a, ctx)).collect();
            let plain = call.name.namespace.is_empty();
            match call.name.name.as_str() {
                "can" if plain && args.len() == 1 => {
                    Expression::Bool(args[0].evaluate(ctx).is_ok())
                }
                "try" if plain && !args.is_empty() => {
                    match args.iter().find_map(|a| a.evaluate(ctx).ok()) {
                        Some(value) => Expression::from(value),
                        None => Expression::FuncCall(Box::new(rebuilt(call, args))),
                    }
                }
                _ => Expression::FuncCall(Box::new(rebuilt(call, args))),
            }
        }
        Expression::Parenthesis(inner) => Expression::Parenthesis(Box::new(fold(inner, ctx))),
        Expression::Conditional(c) => Expression::Conditional(Box::new(Conditional {
            cond_expr: fold(&c.cond_expr, ctx),
            true_expr: fold(&c.true_expr, ctx),
            false_expr: fold(&c.false_expr, ctx),
        })),
        Expression::Operation(op) => Expression::Operation(Box::new(match op.as_ref() {
            Operation::Unary(u) => {
                let mut u = u.clone();
                u.expr = fold(&u.expr, ctx);
                Operation::Unary(u)
            }
            Operation::Binary(b) => {
                let mut b = b.clone();
                b.lhs_expr = fold(&b.lhs_expr, ctx);
                b.rhs_expr = fold(&b.rhs_expr, ctx);
                Operation::Binary(b)
            }
        })),
        Expression::Array(items) => Expression::Array(items.iter().map(|e| fold(e, ctx)).collect()),
        other => other.clone(),
    }
}

fn rebuilt(call: &FuncCall, args: Vec<Expression>) -> FuncCall {
    let mut call = call.clone();
    call.args = args;
    call
}

fn declare_functions(ctx: &mut Context<'_>) {
    let s = || ParamType::String;
    ctx.declare_func("abspath", FuncDef::new(abspath, [s()]));
    ctx.declare_func("pathexpand", FuncDef::new(pathexpand, [s()]));
    ctx.declare_func("fileexists", FuncDef::new(fileexists, [s()]));
    ctx.declare_func("dirname", FuncDef::new(dirname, [s()]));
    ctx.declare_func("basename", FuncDef::new(basename, [s()]));
    ctx.declare_func("regex", FuncDef::new(regex, [s(), s()]));
    ctx.declare_func("replace", FuncDef::new(replace, [s(), s(), s()]));
    ctx.declare_func(
        "lower",
        FuncDef::new(|a| Ok(str_arg(&a, 0).to_lowercase().into()), [s()]),
    );
    ctx.declare_func(
        "upper",
        FuncDef::new(|a| Ok(str_arg(&a, 0).to_uppercase().into()), [s()]),
    );
    ctx.declare_func(
        "trimspace",
        FuncDef::new(|a| Ok(str_arg(&a, 0).trim().into()), [s()]),
    );
    ctx.declare_func(
        "coalesce",
        FuncDef::builder()
            .variadic_param(ParamType::Any)
            .build(coalesce),
    );
    ctx.declare_func(
        "join",
        FuncDef::new(join, [s(), ParamType::array_of(ParamType::String)]),
    );
    ctx.declare_func("tostring", FuncDef::new(tostring, [ParamType::Any]));
}

fn str_arg(args: &FuncArgs, i: usize) -> &str {
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

fn coalesce(args: FuncArgs) -> Result<Value, String> {
    args.iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "no non-null, non-empty-string arguments".to_owned())
}

fn join(args: FuncArgs) -> Result<Value, String> {
    let sep = str_arg(&args, 0);
    let parts: Vec<&str> = args[1]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Ok(parts.join(sep).into())
}

fn tostring(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::String(s) => Ok(s.clone().into()),
        Value::Number(n) => Ok(n.to_string().into()),
        Value::Bool(b) => Ok(b.to_string().into()),
        other => Err(format!("cannot convert {other} to a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn eval(src: &str, vars: &[(&str, &str)]) -> Result<Value, String> {
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        let scope = Scope {
            cwd: PathBuf::from("/repo/envs/dev"),
            home: Some(PathBuf::from("/home/ann")),
        };
        let e = Evaluator::new(scope, vars, hcl::Map::new());
        e.eval(&Expression::from_str(src).map_err(|e| e.to_string())?)
    }

    #[test]
    fn can_and_try_see_errors_instead_of_failing() {
        let abs = r#"can(regex("^/", var.p)) ? var.p : "${path.module}/${var.p}""#;
        assert_eq!(
            eval(abs, &[("p", "/a/b.zip")]).unwrap(),
            Value::from("/a/b.zip")
        );
        assert_eq!(
            eval(abs, &[("p", "b.zip")]).unwrap(),
            Value::from("./b.zip")
        );
        assert_eq!(eval("try(var.nope, \"x\")", &[]).unwrap(), Value::from("x"));
        assert!(eval("regex(\"^/\", \"a\")", &[]).is_err());
    }

    #[test]
    fn the_string_functions_an_environment_may_use_in_a_path() {
        let cases = [
            (r#"replace("a-b-c", "-", "/")"#, "a/b/c"),
            (r#"replace("v1.2.zip", "/[0-9]/", "N")"#, "vN.N.zip"),
            (r#"dirname("dist/x/bootstrap.zip")"#, "dist/x"),
            (r#"dirname("bootstrap.zip")"#, "."),
            (r#"basename("dist/bootstrap.zip")"#, "bootstrap.zip"),
            (
                r#"join("/", ["dist", "bootstrap.zip"])"#,
                "dist/bootstrap.zip",
            ),
            (r#"lower(" DIST ")"#, " dist "),
            (r#"upper(trimspace(" dist "))"#, "DIST"),
            (r#"tostring(3000)"#, "3000"),
            (r#"regex("^(a)(b)?", "ac")[0]"#, "a"),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src, &[]).unwrap(), Value::from(want), "{src}");
        }
        assert_eq!(
            eval(r#"fileexists("/nonexistent/x")"#, &[]).unwrap(),
            Value::Bool(false)
        );
    }

    #[test]
    fn path_functions_resolve_against_the_environment() {
        assert_eq!(
            eval("abspath(\"${path.module}/../../dist/b.zip\")", &[]).unwrap(),
            Value::from("/repo/dist/b.zip")
        );
        assert_eq!(
            eval("pathexpand(\"~/b.zip\")", &[]).unwrap(),
            Value::from("/home/ann/b.zip")
        );
        assert_eq!(
            eval("coalesce(null, \"\", \"z\")", &[]).unwrap(),
            Value::from("z")
        );
        assert!(eval("filebase64sha256(\"x\")", &[])
            .unwrap_err()
            .contains("filebase64sha256"));
    }
}
