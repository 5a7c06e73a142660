//! What one evaluation may build: a value of at most [`MAX_VALUE_BYTES`], from an expression
//! nested at most [`MAX_DEPTH`] deep, with files read only when they are regular files of at
//! most [`MAX_VALUE_BYTES`]. Without them a kilobyte of locals that each join their
//! predecessor ten times, or `file("/dev/zero")`, took gigabytes.

use hcl::expr::{ObjectKey, Operation, TraversalOperator};
use hcl::{Expression, Value};

/// Largest value (a string's bytes; a collection's strings, keys and items together) an
/// expression or function may build, and largest file `file()` and `filebase64()` read.
pub const MAX_VALUE_BYTES: usize = 2 * 1024 * 1024;
/// Most bytes all the values worked out for one configuration may hold together (each is at
/// most [`MAX_VALUE_BYTES`]; a real configuration's add up to kilobytes): without it a few
/// thousand locals of 2 MiB each would still take gigabytes.
pub const MAX_TOTAL_BYTES: usize = 8 * 1024 * 1024;
/// Deepest nesting of an expression (calls, operations, collections) evaluated.
pub const MAX_DEPTH: usize = 64;

/// The error of a value over [`MAX_VALUE_BYTES`]: what built it and how big it got.
pub(crate) fn too_big(what: &str, bytes: usize) -> String {
    format!(
        "{what} would be {} bytes, over the {} MiB a value may have here (MAX_VALUE_BYTES): \
         is an expression repeating a value without end?",
        bytes,
        MAX_VALUE_BYTES >> 20
    )
}

/// Fails when `bytes` is over [`MAX_VALUE_BYTES`].
pub(crate) fn check_bytes(what: &str, bytes: usize) -> Result<(), String> {
    if bytes > MAX_VALUE_BYTES {
        return Err(too_big(what, bytes));
    }
    Ok(())
}

/// About the bytes `value` holds (strings, keys, and a little per item), counted up to just
/// past [`MAX_VALUE_BYTES`]; walks without recursion.
pub fn value_bytes(value: &Value) -> usize {
    let mut total = 0usize;
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        total = total.saturating_add(match v {
            Value::String(s) => s.len(),
            Value::Array(items) => {
                pending.extend(items.iter());
                items.len()
            }
            Value::Object(entries) => {
                pending.extend(entries.values());
                entries.keys().map(String::len).sum::<usize>() + entries.len()
            }
            _ => 8,
        });
        if total > MAX_VALUE_BYTES {
            break;
        }
    }
    total
}

/// Fails when `expr` nests deeper than [`MAX_DEPTH`] (hcl-rs evaluates it recursively, one
/// stack frame or more per level); walks without recursion.
pub(crate) fn check_depth<'a>(expr: &'a Expression) -> Result<(), String> {
    let mut pending: Vec<(&'a Expression, usize)> = vec![(expr, 1)];
    while let Some((e, depth)) = pending.pop() {
        if depth > MAX_DEPTH {
            return Err(format!(
                "the expression nests more than {MAX_DEPTH} deep (calls, operations, lists and \
                 objects inside one another): split it into locals"
            ));
        }
        let mut push = |child: &'a Expression| pending.push((child, depth + 1));
        match e {
            Expression::Array(items) => items.iter().for_each(&mut push),
            Expression::Object(entries) => {
                for (k, v) in entries {
                    if let ObjectKey::Expression(k) = k {
                        push(k);
                    }
                    push(v);
                }
            }
            Expression::Traversal(t) => {
                push(&t.expr);
                for op in &t.operators {
                    if let TraversalOperator::Index(i) = op {
                        push(i);
                    }
                }
            }
            Expression::FuncCall(call) => call.args.iter().for_each(&mut push),
            Expression::Parenthesis(inner) => push(inner),
            Expression::Conditional(c) => {
                push(&c.cond_expr);
                push(&c.true_expr);
                push(&c.false_expr);
            }
            Expression::Operation(op) => match op.as_ref() {
                Operation::Unary(u) => push(&u.expr),
                Operation::Binary(b) => {
                    push(&b.lhs_expr);
                    push(&b.rhs_expr);
                }
            },
            Expression::ForExpr(f) => {
                push(&f.collection_expr);
                push(&f.value_expr);
                if let Some(k) = &f.key_expr {
                    push(k);
                }
                if let Some(c) = &f.cond_expr {
                    push(c);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_strings_keys_and_items() {
        assert_eq!(value_bytes(&Value::from("abc")), 3);
        let mut map = hcl::Map::new();
        map.insert("k".to_owned(), Value::Array(vec!["ab".into(), "c".into()]));
        assert_eq!(value_bytes(&Value::Object(map)), 1 + 1 + 2 + 2 + 1);
        assert!(check_bytes("x", MAX_VALUE_BYTES).is_ok());
        let e = check_bytes("join()", MAX_VALUE_BYTES + 1).unwrap_err();
        assert!(e.contains("join()") && e.contains("2 MiB"), "{e}");
    }

    #[test]
    fn deep_expressions_are_refused() {
        use std::str::FromStr as _;
        let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(check_depth(&Expression::from_str(&nested(MAX_DEPTH - 1)).unwrap()).is_ok());
        let e = check_depth(&Expression::from_str(&nested(MAX_DEPTH)).unwrap()).unwrap_err();
        assert!(e.contains("more than 64 deep"), "{e}");
        let calls = format!(
            "{}\"x\"{}",
            "lower(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert!(check_depth(&Expression::from_str(&calls).unwrap()).is_err());
    }
}
