//! What [`crate::check_table`] reports about the connection table, and the fix for each problem.

use crate::CONNECTION_INDEX;

/// The state of the `connection_id-index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexState {
    /// Present and usable.
    Active,
    /// Present but not usable yet (status, e.g. `CREATING`, or `BACKFILLING`).
    NotActive(String),
    /// Absent: lookups by connection fall back to a Scan.
    Missing,
    /// Present with another key (the key schema found).
    WrongKey(String),
}

/// The state of the table's time to live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TtlState {
    /// Enabled on `ttl`.
    Enabled,
    /// Being enabled on `ttl`.
    Enabling,
    /// Disabled: expired items stay in the table (wsproxy still ignores them).
    Disabled,
    /// Being disabled.
    Disabling,
    /// Enabled on another attribute (its name).
    OtherAttribute(String),
}

/// What [`crate::check_table`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// The table's name.
    pub table: String,
    /// Whether the table exists; when false the other fields say nothing.
    pub exists: bool,
    /// The table's status, e.g. `ACTIVE`.
    pub status: Option<String>,
    /// The key schema, e.g. `booking_id (HASH), connection_id (RANGE)`.
    pub key_schema: String,
    /// Whether the key is `booking_id` (HASH) + `connection_id` (RANGE).
    pub key_schema_ok: bool,
    /// Whether billing is on demand (PAY_PER_REQUEST).
    pub on_demand: bool,
    /// The `connection_id-index`.
    pub index: IndexState,
    /// Time to live on `ttl`.
    pub ttl: TtlState,
}

impl TableReport {
    /// What is wrong, each with its fix; empty when the table is as wsproxy wants it.
    pub fn problems(&self) -> Vec<String> {
        let t = &self.table;
        let fix = format!("run `wsproxy table create --table {t}`");
        if !self.exists {
            return vec![format!("table '{t}' does not exist: {fix}")];
        }
        let mut out = Vec::new();
        if !self.key_schema_ok {
            out.push(format!(
                "table '{t}' has key {}, not booking_id (HASH) + connection_id (RANGE): \
                 choose another table name",
                self.key_schema
            ));
        }
        if self.status.as_deref() != Some("ACTIVE") {
            let status = self.status.as_deref().unwrap_or("unknown");
            out.push(format!(
                "table '{t}' is {status}, not ACTIVE: wait, then check again"
            ));
        }
        let index = CONNECTION_INDEX;
        match &self.index {
            IndexState::Active => {}
            IndexState::NotActive(s) => out.push(format!(
                "index {index} is {s}: lookups scan the table until it is ACTIVE; \
                 wait, then check again"
            )),
            IndexState::Missing => out.push(format!(
                "index {index} is missing: every lookup by connection scans the whole table; {fix}"
            )),
            IndexState::WrongKey(k) => out.push(format!(
                "index {index} is keyed on {k}, not connection_id: delete it, then {fix}"
            )),
        }
        let never = "expired items are never deleted";
        match &self.ttl {
            TtlState::Enabled | TtlState::Enabling => {}
            TtlState::Disabled => out.push(format!("time to live is disabled: {never}; {fix}")),
            TtlState::Disabling => {
                out.push(format!("time to live is being disabled: once done, {fix}"))
            }
            TtlState::OtherAttribute(a) => out.push(format!(
                "time to live is on '{a}', not 'ttl': {never}; disable it, then {fix}"
            )),
        }
        if !self.on_demand {
            out.push(format!(
                "table '{t}' uses provisioned capacity, not on-demand (PAY_PER_REQUEST): \
                 bursts of connections may be throttled"
            ));
        }
        out
    }
}
