//! A resource's instances (`count`, `for_each`) and their values: the arguments that can
//! be known offline plus the attributes AWS would compute ([`super::computed`]).

use super::computed;
use super::engine::Engine;
use super::modules::attr;
use hcl::{Body, Value};
use std::rc::Rc;

/// Meta-arguments and blocks that are not attributes of the resource.
const META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "provider",
    "lifecycle",
    "provisioner",
    "connection",
    "dynamic",
];

/// `count.index`, `each.key` and `each.value` of one instance.
#[derive(Debug, Clone, Default)]
pub(crate) struct InstanceKey {
    pub(super) count: Option<u64>,
    pub(super) each: Option<(String, Value)>,
}

impl InstanceKey {
    /// No `count.index` nor `each` (a local, a module's argument).
    pub(super) fn none() -> Self {
        Self::default()
    }
}

/// One instance of a resource or data source.
#[derive(Debug)]
pub(crate) struct Instance {
    /// The module it is in.
    pub module: usize,
    /// Its block's index in the module's resources.
    pub block: usize,
    /// Its full address, e.g. `module.websocket_proxy.aws_lambda_function.this[0]`.
    pub address: String,
    /// Its `count.index` / `each`.
    pub key: InstanceKey,
    /// Its arguments that could be evaluated, and the attributes AWS would compute.
    pub object: hcl::Map<String, Value>,
    /// Its arguments that can't be known offline, and why.
    pub unknown: Vec<(String, String)>,
}

pub(super) type Instances = Rc<Result<Vec<Rc<Instance>>, String>>;

impl Engine {
    /// Every instance of every resource (or data source, `data`) of type `rtype`, in every
    /// module, with the error of a block whose `count`/`for_each` can't be known.
    pub(super) fn all_of(&self, data: bool, rtype: &str) -> Vec<(usize, usize, Instances)> {
        let mut out = Vec::new();
        for (m, module) in self.tree.modules.iter().enumerate() {
            if !self.enabled(m) {
                continue;
            }
            for (b, block) in module.resources.iter().enumerate() {
                if block.data == data && block.rtype == rtype {
                    out.push((m, b, self.instances(m, b)));
                }
            }
        }
        out
    }

    /// False for a module whose call (or an ancestor's) has `count = 0`.
    fn enabled(&self, m: usize) -> bool {
        let Some((parent, call)) = self.tree.modules[m].parent else {
            return true;
        };
        let call = &self.tree.modules[parent].calls[call];
        let counted = attr(&call.body, "count")
            .map(|c| self.eval(parent, c, &InstanceKey::none()))
            .is_some_and(|n| n.is_ok_and(|n| n.as_u64() == Some(0)));
        !counted && self.enabled(parent)
    }

    pub(super) fn resource_value(
        &self,
        m: usize,
        data: bool,
        rtype: &str,
        name: &str,
    ) -> Result<Value, String> {
        let module = &self.tree.modules[m];
        let Some(b) = module
            .resources
            .iter()
            .position(|r| r.data == data && r.rtype == rtype && r.name == name)
        else {
            let kind = if data { "data source" } else { "resource" };
            return Err(format!(
                "no such {kind} is declared in {}",
                module.dir.display()
            ));
        };
        let instances = self.instances(m, b);
        let list = instances.as_ref().as_ref().map_err(Clone::clone)?;
        let body = &module.resources[b].body;
        let object = |i: &Rc<Instance>| Value::Object(i.object.clone());
        Ok(if attr(body, "count").is_some() {
            Value::Array(list.iter().map(object).collect())
        } else if attr(body, "for_each").is_some() {
            Value::Object(
                list.iter()
                    .map(|i| (i.key.each.clone().unwrap_or_default().0, object(i)))
                    .collect(),
            )
        } else {
            list.first().map(object).unwrap_or(Value::Null)
        })
    }

    /// Why the arguments of the resource's instances that can't be known can't be, as
    /// `ADDRESS.ARGUMENT can't be known: WHY`.
    pub(super) fn unknown_arguments(
        &self,
        m: usize,
        data: bool,
        rtype: &str,
        name: &str,
    ) -> Vec<String> {
        let module = &self.tree.modules[m];
        let Some(b) = module
            .resources
            .iter()
            .position(|r| r.data == data && r.rtype == rtype && r.name == name)
        else {
            return Vec::new();
        };
        let instances = self.instances(m, b);
        let Ok(list) = instances.as_ref() else {
            return Vec::new();
        };
        list.iter()
            .flat_map(|i| {
                i.unknown
                    .iter()
                    .map(move |(arg, why)| format!("{}.{arg} can't be known: {why}", i.address))
            })
            .collect()
    }

    /// The instances of block `b` of module `m`.
    pub(super) fn instances(&self, m: usize, b: usize) -> Instances {
        match self.instances.borrow().get(&(m, b)) {
            Some(Some(done)) => return done.clone(),
            Some(None) => return Rc::new(Err("refers to itself (a cycle)".to_owned())),
            None => {}
        }
        self.instances.borrow_mut().insert((m, b), None);
        let done = Rc::new(self.expand(m, b));
        self.instances
            .borrow_mut()
            .insert((m, b), Some(done.clone()));
        done
    }

    fn expand(&self, m: usize, b: usize) -> Result<Vec<Rc<Instance>>, String> {
        let module = &self.tree.modules[m];
        let block = &module.resources[b];
        let none = InstanceKey::default();
        let mut keys: Vec<(String, InstanceKey)> = Vec::new();
        if let Some(count) = attr(&block.body, "count") {
            let n = self
                .eval(m, count, &none)
                .map_err(|e| format!("count: {e}"))?;
            let n = n
                .as_u64()
                .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
                .ok_or_else(|| format!("count is {n}, not a whole number"))?;
            keys.extend((0..n).map(|i| {
                (
                    format!("[{i}]"),
                    InstanceKey {
                        count: Some(i),
                        each: None,
                    },
                )
            }));
        } else if let Some(for_each) = attr(&block.body, "for_each") {
            let entries: Vec<(String, Value)> = match self.eval(m, for_each, &none) {
                Ok(Value::Array(items)) => items
                    .into_iter()
                    .map(|v| (v.as_str().unwrap_or_default().to_owned(), v))
                    .collect(),
                Ok(Value::Object(map)) => map.into_iter().collect(),
                Ok(other) => return Err(format!("for_each is {other}, not a set or a map")),
                Err(e) => return Err(format!("for_each: {e}")),
            };
            keys.extend(entries.into_iter().map(|(k, v)| {
                (
                    format!("[{k:?}]"),
                    InstanceKey {
                        count: None,
                        each: Some((k, v)),
                    },
                )
            }));
        } else {
            keys.push((String::new(), none));
        }
        Ok(keys
            .into_iter()
            .map(|(suffix, key)| {
                let address = format!("{}{}{suffix}", module.prefix, block.local_address());
                let mut unknown = Vec::new();
                let mut object = self.object(m, &block.body, &key, Some(&mut unknown));
                computed::add(block, &address, &mut object, &self.account);
                Rc::new(Instance {
                    module: m,
                    block: b,
                    address,
                    key,
                    object,
                    unknown,
                })
            })
            .collect())
    }

    /// The arguments of `body` that evaluate (noting in `unknown` those that don't), and its
    /// nested blocks as lists of objects.
    fn object(
        &self,
        m: usize,
        body: &Body,
        key: &InstanceKey,
        mut unknown: Option<&mut Vec<(String, String)>>,
    ) -> hcl::Map<String, Value> {
        let mut object = hcl::Map::new();
        for a in body.attributes().filter(|a| !META.contains(&a.key())) {
            match self.eval(m, a.expr(), key) {
                Ok(v) => {
                    object.insert(a.key().to_owned(), v);
                }
                Err(e) => {
                    if let Some(unknown) = unknown.as_deref_mut() {
                        unknown.push((a.key().to_owned(), e));
                    }
                }
            }
        }
        for block in body.blocks().filter(|b| !META.contains(&b.identifier())) {
            let nested = Value::Object(self.object(m, block.body(), key, None));
            if let Value::Array(list) = object
                .entry(block.identifier().to_owned())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                list.push(nested);
            }
        }
        object
    }
}
