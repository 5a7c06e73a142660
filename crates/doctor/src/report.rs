//! Findings, and the report that prints them for people or as JSON for CI.

use serde::Serialize;
use std::fmt::Write as _;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As it should be.
    Ok,
    /// Not a failure, but worth knowing.
    Warn,
    /// Will make the deployment fail, or already does.
    Fail,
    /// Could not be checked here, and why.
    Skip,
}

/// One check's result: what was found and, when something is wrong, what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The check, e.g. `package.exists`.
    pub check: &'static str,
    /// How it came out.
    pub status: Status,
    /// What was found.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// A finding without a fix.
    pub fn new(check: &'static str, status: Status, message: impl Into<String>) -> Self {
        Self {
            check,
            status,
            message: message.into(),
            fix: None,
        }
    }

    /// The same finding with a fix.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// All findings for one environment.
#[derive(Debug, Clone)]
pub struct Report {
    /// The environment's folder.
    pub env: String,
    /// In the order the checks ran.
    pub findings: Vec<Finding>,
}

/// The JSON form of a [`Report`], with its verdict.
#[derive(Serialize)]
struct Json<'a> {
    env: &'a str,
    ok: bool,
    findings: &'a [Finding],
}

impl Report {
    /// A report of these findings.
    pub fn new(env: String, findings: Vec<Finding>) -> Self {
        Self { env, findings }
    }

    /// True when no check failed (warnings and skips do not count).
    pub fn ok(&self) -> bool {
        self.count(Status::Fail) == 0
    }

    /// The finding of `check` (e.g. `package.exists`), if that check ran.
    pub fn finding(&self, check: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.check == check)
    }

    /// The findings with this status.
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// The report as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!("wsproxy doctor: {}\n", self.env);
        for f in &self.findings {
            let tag = match f.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
                Status::Skip => "skip",
            };
            let _ = writeln!(out, "{tag} {:<16} {}", f.check, f.message);
            if let Some(fix) = &f.fix {
                for (i, line) in fix.lines().enumerate() {
                    let lead = if i == 0 { "fix:" } else { "    " };
                    let _ = writeln!(out, "     {:<16} {lead} {line}", "");
                }
            }
        }
        let failed = self.count(Status::Fail);
        let _ = writeln!(
            out,
            "{} ok, {} warning(s), {} failed, {} skipped",
            self.count(Status::Ok),
            self.count(Status::Warn),
            failed,
            self.count(Status::Skip)
        );
        out
    }

    /// The report as one JSON document.
    pub fn to_json(&self) -> String {
        let json = Json {
            env: &self.env,
            ok: self.ok(),
            findings: &self.findings,
        };
        serde_json::to_string_pretty(&json).expect("a report serialises")
    }
}
