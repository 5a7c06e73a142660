//! Evaluating a Terraform expression the way Terraform would: `var.*`, `local.*`,
//! `path.*` (or any other top-level names a caller declares) and Terraform's common
//! functions, `can()` and `try()` included.
//!
//! hcl-rs evaluates the expression tree; `can()` and `try()`, which must see an error instead
//! of failing with it, are folded into values before that.

use crate::{functions, limits};
use hcl::eval::{Context, Evaluate};
use hcl::expr::{Conditional, FuncCall, Operation};
use hcl::{Expression, Value};
use std::path::PathBuf;

/// Where an evaluation runs: Terraform's working folder and the user's home.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The folder Terraform runs in (the environment, absolute).
    pub cwd: PathBuf,
    /// `$HOME`, for `pathexpand()`.
    pub home: Option<PathBuf>,
}

/// A context with `var`, `local`, `path` (or the names given) and the supported functions.
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
        let mut names = hcl::Map::new();
        names.insert("var".to_owned(), Value::Object(vars));
        names.insert("local".to_owned(), Value::Object(locals));
        let mut path = hcl::Map::new();
        // In the root module path.module and path.root are ".", and path.cwd is absolute.
        path.insert("module".into(), Value::from("."));
        path.insert("root".into(), Value::from("."));
        path.insert(
            "cwd".into(),
            Value::from(scope.cwd.to_string_lossy().into_owned()),
        );
        names.insert("path".to_owned(), Value::Object(path));
        let mut terraform = hcl::Map::new();
        terraform.insert("workspace".into(), Value::from("default"));
        names.insert("terraform".to_owned(), Value::Object(terraform));
        Self::with_names(scope, names)
    }

    /// An evaluator in `scope.cwd` that knows exactly these top-level names (`var`, `local`,
    /// `path`, `aws_lambda_function`, `data`, `module`, `each`, ...).
    pub fn with_names(scope: Scope, names: hcl::Map<String, Value>) -> Self {
        let mut ctx = Context::new();
        for (name, value) in names {
            ctx.declare_var(name, value);
        }
        functions::declare(&mut ctx);
        Self { ctx, scope }
    }

    /// The expression's value, or why it has none here: also when it nests deeper than
    /// [`limits::MAX_DEPTH`] or its value is over [`limits::MAX_VALUE_BYTES`].
    pub fn eval(&self, expr: &Expression) -> Result<Value, String> {
        limits::check_depth(expr)?;
        let value = functions::with_folders(&self.scope.cwd, self.scope.home.as_deref(), || {
            fold(expr, &self.ctx)
                .evaluate(&self.ctx)
                .map_err(|e| e.to_string())
        })?;
        limits::check_bytes("its value", limits::value_bytes(&value))?;
        Ok(value)
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
        Expression::Object(entries) => Expression::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), fold(v, ctx)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn rebuilt(call: &FuncCall, args: Vec<Expression>) -> FuncCall {
    let mut call = call.clone();
    call.args = args;
    call
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
        assert!(eval("filebase64sha256(\"/nonexistent/x\")", &[])
            .unwrap_err()
            .contains("/nonexistent/x"));
    }
}
