//! Evaluating a configuration offline, the way Terraform plans it: an expression's
//! references (`var.*`, `local.*`, `module.*`, resources, `data.*`) are worked out on demand,
//! each once, and a resource's value is an object of its arguments plus the attributes AWS
//! would give it ([`super::computed`]). What can't be known stays out of that object: only an
//! expression that needs it fails, saying which reference has no value and why.

use super::computed::Account;
use super::instances::{Instance, InstanceKey, Instances};
use super::modules::{attr, ModuleTree};
use hcl::expr::TraversalOperator;
use hcl::{Body, Expression, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::LazyLock;
use wsproxy_tfeval::{Evaluator, Scope};

/// `root.name` or `root.name.name`, not after a `.`, `$` or a word character.
static REFERENCE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?:^|[^\w.$])([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?")
        .expect("valid")
});
/// What a resource type looks like: `aws_lambda_function`, `archive_file`.
static RESOURCE_TYPE: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^[a-z][a-z0-9]*_[a-z0-9_]+$").expect("valid"));

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Var(usize, String),
    Local(usize, String),
    Output(usize, String),
}

/// The configuration and the values worked out so far.
pub(crate) struct Engine {
    /// The modules.
    pub tree: ModuleTree,
    /// Where Terraform runs.
    pub scope: Scope,
    /// The root module's variable values.
    pub root_vars: hcl::Map<String, Value>,
    /// The region and account ARNs are built with.
    pub account: Account,
    values: RefCell<HashMap<Key, Option<Result<Value, String>>>>,
    /// The bytes the worked-out values hold together, bounded by
    /// [`wsproxy_tfeval::limits::MAX_TOTAL_BYTES`].
    held: Cell<usize>,
    pub(super) instances: RefCell<HashMap<(usize, usize), Option<Instances>>>,
}

impl Engine {
    /// An engine over the modules of `tree` with the root's variable values.
    pub(super) fn new(
        tree: ModuleTree,
        scope: Scope,
        root_vars: hcl::Map<String, Value>,
        account: Account,
    ) -> Self {
        Self {
            tree,
            scope,
            root_vars,
            account,
            values: RefCell::default(),
            held: Cell::new(0),
            instances: RefCell::default(),
        }
    }

    /// The value of `expr` in module `m` for the instance `key`.
    pub(super) fn eval(
        &self,
        m: usize,
        expr: &Expression,
        key: &InstanceKey,
    ) -> Result<Value, String> {
        let module = &self.tree.modules[m];
        let text = hcl::format::to_string(expr).unwrap_or_default();
        let mut problems: Vec<String> = Vec::new();
        let mut touched: Vec<(bool, String, String)> = Vec::new();
        let mut vars = hcl::Map::new();
        let mut locals = hcl::Map::new();
        let mut modules = hcl::Map::new();
        let mut data: hcl::Map<String, Value> = hcl::Map::new();
        let mut resources: hcl::Map<String, Value> = hcl::Map::new();
        // A name referred to many times is one problem: repeated, each level of locals
        // referring to the one before ten times made an error of 10^depth copies.
        let mut noted = std::collections::HashSet::new();
        let mut note = |name: String, value: Result<Value, String>| match value {
            Ok(v) => Some(v),
            Err(e) => {
                if noted.insert(name.clone()) {
                    problems.push(format!("{name}: {e}"));
                }
                None
            }
        };
        for caps in REFERENCE.captures_iter(&text) {
            let (root, a1) = (&caps[1], caps[2].to_owned());
            let a2 = caps.get(3).map(|c| c.as_str().to_owned());
            match root {
                "var" => {
                    if let Some(v) = note(format!("var.{a1}"), self.var(m, &a1)) {
                        vars.insert(a1, v);
                    }
                }
                "local" => {
                    if let Some(v) = note(format!("local.{a1}"), self.local(m, &a1)) {
                        locals.insert(a1, v);
                    }
                }
                "module" => {
                    if let Some(v) = note(format!("module.{a1}"), self.module_value(m, &a1)) {
                        modules.insert(a1, v);
                    }
                }
                "data" => {
                    let Some(name) = a2 else { continue };
                    let value = self.resource_value(m, true, &a1, &name);
                    touched.push((true, a1.clone(), name.clone()));
                    if let Some(v) = note(format!("data.{a1}.{name}"), value) {
                        insert2(&mut data, &a1, name, v);
                    }
                }
                "path" | "count" | "each" | "terraform" | "self" => {}
                rtype if RESOURCE_TYPE.is_match(rtype) => {
                    let value = self.resource_value(m, false, rtype, &a1);
                    touched.push((false, rtype.to_owned(), a1.clone()));
                    if let Some(v) = note(format!("{rtype}.{a1}"), value) {
                        insert2(&mut resources, rtype, a1, v);
                    }
                }
                _ => {}
            }
        }
        let mut names = resources;
        names.insert("var".into(), Value::Object(vars));
        names.insert("local".into(), Value::Object(locals));
        names.insert("module".into(), Value::Object(modules));
        names.insert("data".into(), Value::Object(data));
        let mut path = hcl::Map::new();
        path.insert("module".into(), module.path_module.clone().into());
        path.insert("root".into(), ".".into());
        path.insert("cwd".into(), self.scope.cwd.to_string_lossy().into());
        names.insert("path".into(), Value::Object(path));
        let mut terraform = hcl::Map::new();
        terraform.insert("workspace".into(), "default".into());
        names.insert("terraform".into(), Value::Object(terraform));
        if let Some(i) = key.count {
            let mut count = hcl::Map::new();
            count.insert("index".into(), Value::from(i));
            names.insert("count".into(), Value::Object(count));
        }
        if let Some((k, v)) = &key.each {
            let mut each = hcl::Map::new();
            each.insert("key".into(), k.clone().into());
            each.insert("value".into(), v.clone());
            names.insert("each".into(), Value::Object(each));
        }
        Evaluator::with_names(self.scope.clone(), names)
            .eval(expr)
            .map_err(|e| {
                if !problems.is_empty() {
                    return problems.join("; ");
                }
                // "no such key: `invoke_arn`" says less than why the resource lacks it.
                let why: Vec<String> = touched
                    .iter()
                    .flat_map(|(data, rtype, name)| self.unknown_arguments(m, *data, rtype, name))
                    .collect();
                if why.is_empty() && e.contains("no such key") && !touched.is_empty() {
                    let names: Vec<String> = touched
                        .iter()
                        .map(|(data, rtype, name)| {
                            format!("{}{rtype}.{name}", if *data { "data." } else { "" })
                        })
                        .collect();
                    format!(
                        "{e} (an attribute AWS gives {} when it creates it is not known offline)",
                        names.join(", ")
                    )
                } else if why.is_empty() {
                    e
                } else {
                    format!("{e}; {}", why.join("; "))
                }
            })
    }

    /// The attribute `name` of an instance's block, evaluated; `None` when absent or null.
    pub(super) fn attribute(&self, inst: &Instance, name: &str) -> Result<Option<Value>, String> {
        let block = &self.tree.modules[inst.module].resources[inst.block];
        self.body_attribute(inst, &block.body, name)
    }

    /// The attribute `name` of `body` (the instance's block or one nested in it).
    pub(super) fn body_attribute(
        &self,
        inst: &Instance,
        body: &Body,
        name: &str,
    ) -> Result<Option<Value>, String> {
        match attr(body, name) {
            None => Ok(None),
            Some(expr) => match self.eval(inst.module, expr, &inst.key)? {
                Value::Null => Ok(None),
                v => Ok(Some(v)),
            },
        }
    }

    /// Where `var.NAME` or `local.NAME` in module `m` is defined: the module and expression
    /// that give its value (for evaluating an object entry by entry).
    pub(super) fn definition(&self, m: usize, expr: &Expression) -> Option<(usize, Expression)> {
        let Expression::Traversal(t) = expr else {
            return None;
        };
        let (Expression::Variable(root), [TraversalOperator::GetAttr(name)]) =
            (&t.expr, t.operators.as_slice())
        else {
            return None;
        };
        let module = &self.tree.modules[m];
        match root.as_str() {
            "local" => module
                .locals
                .get(name.as_str())
                .map(|(_, e)| (m, e.clone())),
            "var" => {
                let (parent, call) = module.parent?;
                let call = &self.tree.modules[parent].calls[call];
                attr(&call.body, name.as_str()).map(|e| (parent, e.clone()))
            }
            _ => None,
        }
    }

    fn cached(
        &self,
        key: Key,
        compute: impl FnOnce() -> Result<Value, String>,
    ) -> Result<Value, String> {
        match self.values.borrow().get(&key) {
            Some(Some(done)) => return done.clone(),
            Some(None) => return Err("refers to itself (a cycle)".to_owned()),
            None => {}
        }
        if self.held.get() > wsproxy_tfeval::limits::MAX_TOTAL_BYTES {
            return Err("not worked out: the values before it already hold too much".to_owned());
        }
        self.values.borrow_mut().insert(key.clone(), None);
        let value = compute().and_then(|v| self.hold(v));
        self.values.borrow_mut().insert(key, Some(value.clone()));
        value
    }

    /// Counts `value` into what the worked-out values hold together; fails past
    /// [`wsproxy_tfeval::limits::MAX_TOTAL_BYTES`].
    fn hold(&self, value: Value) -> Result<Value, String> {
        use wsproxy_tfeval::limits::{value_bytes, MAX_TOTAL_BYTES};
        let held = self.held.get().saturating_add(value_bytes(&value));
        self.held.set(held);
        if held > MAX_TOTAL_BYTES {
            return Err(format!(
                "the values worked out so far hold over {} MiB together (MAX_TOTAL_BYTES): \
                 does the configuration build many large values?",
                MAX_TOTAL_BYTES >> 20
            ));
        }
        Ok(value)
    }

    fn var(&self, m: usize, name: &str) -> Result<Value, String> {
        let module = &self.tree.modules[m];
        let Some(decl) = module.variables.get(name) else {
            return Err(format!(
                "no variable \"{name}\" is declared in {}",
                module.dir.display()
            ));
        };
        let Some((parent, call)) = module.parent else {
            return self
                .root_vars
                .get(name)
                .cloned()
                .ok_or_else(|| format!("variable {name} has no value"));
        };
        self.cached(Key::Var(m, name.to_owned()), || {
            let call = &self.tree.modules[parent].calls[call];
            match (attr(&call.body, name), &decl.default) {
                (Some(given), _) => self.eval(parent, given, &InstanceKey::default()),
                (None, Some(default)) => self.eval(m, default, &InstanceKey::default()),
                (None, None) => Err(format!("module.{} gives no {name}", call.name)),
            }
        })
    }

    fn local(&self, m: usize, name: &str) -> Result<Value, String> {
        let module = &self.tree.modules[m];
        let Some((_, expr)) = module.locals.get(name) else {
            return Err(format!(
                "no local \"{name}\" is declared in {}",
                module.dir.display()
            ));
        };
        self.cached(Key::Local(m, name.to_owned()), || {
            self.eval(m, expr, &InstanceKey::default())
        })
    }

    /// `module.NAME`: an object of the outputs that can be known.
    fn module_value(&self, m: usize, name: &str) -> Result<Value, String> {
        let module = &self.tree.modules[m];
        let Some(call) = module.calls.iter().find(|c| c.name == name) else {
            return Err(format!(
                "no module \"{name}\" is called in {}",
                module.dir.display()
            ));
        };
        let Some(child) = call.child else {
            return Err("its source is not a local folder, so it is not read".to_owned());
        };
        let mut outputs = hcl::Map::new();
        for (out, expr) in &self.tree.modules[child].outputs {
            let value = self.cached(Key::Output(child, out.clone()), || {
                self.eval(child, expr, &InstanceKey::default())
            });
            if let Ok(v) = value {
                outputs.insert(out.clone(), v);
            }
        }
        if attr(&call.body, "count").is_some() {
            return Ok(Value::Array(vec![Value::Object(outputs)]));
        }
        Ok(Value::Object(outputs))
    }
}

fn insert2(map: &mut hcl::Map<String, Value>, outer: &str, inner: String, value: Value) {
    let entry = map
        .entry(outer.to_owned())
        .or_insert_with(|| Value::Object(hcl::Map::new()));
    if let Value::Object(o) = entry {
        o.insert(inner, value);
    }
}
