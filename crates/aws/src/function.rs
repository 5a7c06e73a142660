//! The Lambda function of an existing deployment (Option 2): its configuration
//! (GetFunctionConfiguration), and new code from a `bootstrap.zip` (UpdateFunctionCode),
//! waiting until Lambda reports the update `Successful`.

use crate::error::{code, describe, FunctionError};
use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::Client;
use std::time::Duration;
use tokio::time::Instant;
use tracing::info;

/// The runtime that runs wsproxy's `bootstrap`: the OS-only runtime `wsproxy package` builds
/// for (glibc 2.34). provided.al2 is not one: its glibc 2.26 cannot start that binary.
pub const BOOTSTRAP_RUNTIME: &str = "provided.al2023";

/// The only architecture of the package.
pub const BOOTSTRAP_ARCHITECTURE: &str = "x86_64";

/// The largest zip UpdateFunctionCode accepts inline (50 MB).
pub const MAX_INLINE_ZIP: usize = 50 * 1024 * 1024;

/// The first pause between two polls; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// What GetFunctionConfiguration says about a function (its `$LATEST` version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    /// The function's name.
    pub name: String,
    /// The function's ARN.
    pub arn: String,
    /// Base64 of the SHA-256 of its code zip: Terraform's `filebase64sha256()` of the zip.
    pub code_sha256: String,
    /// Its runtime, e.g. `provided.al2023`; none for container image functions.
    pub runtime: Option<String>,
    /// Its instruction set architectures, e.g. `["x86_64"]`.
    pub architectures: Vec<String>,
    /// `Zip` or `Image`.
    pub package_type: Option<String>,
    /// `Pending`, `Active`, `Inactive` or `Failed`.
    pub state: Option<String>,
    /// Why it is in that state, when Lambda says.
    pub state_reason: Option<String>,
    /// The last update's status: `InProgress`, `Successful` or `Failed`.
    pub last_update_status: Option<String>,
    /// Why the last update failed, with its reason code, when Lambda says.
    pub last_update_status_reason: Option<String>,
}

impl FunctionInfo {
    /// Checks that the function can run wsproxy's package: a Zip function on x86_64 with an
    /// OS-only runtime ([`BOOTSTRAP_RUNTIME`]). The error says why not and what to change.
    pub fn check_runs_bootstrap(&self) -> Result<(), FunctionError> {
        if let Some(package_type) = self.package_type.as_deref().filter(|t| *t != "Zip") {
            return Err(FunctionError::NotZip {
                function: self.name.clone(),
                package_type: package_type.into(),
            });
        }
        // Lambda defaults to x86_64 when it names no architecture.
        if !self.architectures.is_empty()
            && !self
                .architectures
                .iter()
                .any(|a| a == BOOTSTRAP_ARCHITECTURE)
        {
            return Err(FunctionError::WrongArchitecture {
                function: self.name.clone(),
                found: self.architectures.join(", "),
            });
        }
        match self.runtime.as_deref() {
            Some(BOOTSTRAP_RUNTIME) => Ok(()),
            found => Err(FunctionError::WrongRuntime {
                function: self.name.clone(),
                found: found.unwrap_or("none").into(),
            }),
        }
    }

    /// True while Lambda is still applying a change (creation or update); UpdateFunctionCode
    /// would be refused with ResourceConflictException.
    pub fn is_busy(&self) -> bool {
        self.state.as_deref() == Some("Pending")
            || self.last_update_status.as_deref() == Some("InProgress")
    }

    fn from_output(out: GetFunctionConfigurationOutput, asked: &str) -> Self {
        let reason = |text: Option<String>, code: Option<String>| match (text, code) {
            (Some(text), Some(code)) => Some(format!("{text} ({code})")),
            (text, code) => text.or(code),
        };
        Self {
            name: out.function_name.unwrap_or_else(|| asked.to_owned()),
            arn: out.function_arn.unwrap_or_default(),
            code_sha256: out.code_sha256.unwrap_or_default(),
            runtime: out.runtime.map(|r| r.as_str().to_owned()),
            architectures: out
                .architectures
                .unwrap_or_default()
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            package_type: out.package_type.map(|p| p.as_str().to_owned()),
            state: out.state.map(|s| s.as_str().to_owned()),
            state_reason: reason(
                out.state_reason,
                out.state_reason_code.map(|c| c.as_str().to_owned()),
            ),
            last_update_status: out.last_update_status.map(|s| s.as_str().to_owned()),
            last_update_status_reason: reason(
                out.last_update_status_reason,
                out.last_update_status_reason_code
                    .map(|c| c.as_str().to_owned()),
            ),
        }
    }
}

/// What [`update_function_code`] did: the function before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeUpdate {
    /// The function before the upload (after any earlier update finished).
    pub old: FunctionInfo,
    /// The function once Lambda finished applying the new code.
    pub new: FunctionInfo,
}

impl CodeUpdate {
    /// False when the function already had exactly this code.
    pub fn changed(&self) -> bool {
        self.old.code_sha256 != self.new.code_sha256
    }
}

/// GetFunctionConfiguration of `name` (a name or an ARN); `None` when there is no such
/// function in the client's account and region.
pub async fn find_function(
    client: &Client,
    name: &str,
) -> Result<Option<FunctionInfo>, FunctionError> {
    match client
        .get_function_configuration()
        .function_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(Some(FunctionInfo::from_output(out, name))),
        Err(e) if code(&e) == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(FunctionError::Aws {
            operation: "GetFunctionConfiguration",
            function: name.to_owned(),
            detail: describe(&e, None),
        }),
    }
}

/// [`find_function`], with a missing function as [`FunctionError::NotFound`].
async fn existing_function(client: &Client, name: &str) -> Result<FunctionInfo, FunctionError> {
    find_function(client, name)
        .await?
        .ok_or_else(|| FunctionError::NotFound {
            function: name.to_owned(),
        })
}

/// Replaces the code of the existing function `name` with `zip_bytes` and waits, at most
/// `wait` in all, until Lambda reports the update `Successful`.
///
/// Refuses, before uploading, a missing function and one that cannot run the package (see
/// [`FunctionInfo::check_runs_bootstrap`]). Waits first for a change still in progress, and
/// retries while Lambda answers ResourceConflictException. The caller checks the zip itself.
pub async fn update_function_code(
    client: &Client,
    name: &str,
    zip_bytes: Vec<u8>,
    wait: Duration,
) -> Result<CodeUpdate, FunctionError> {
    let start = Instant::now();
    let mut old = existing_function(client, name).await?;
    old.check_runs_bootstrap()?;
    if zip_bytes.len() > MAX_INLINE_ZIP {
        return Err(FunctionError::TooLarge {
            function: name.to_owned(),
            size: zip_bytes.len(),
            limit: MAX_INLINE_ZIP,
        });
    }
    if old.is_busy() {
        info!(
            function = name,
            "waiting for an earlier change of the function to finish"
        );
        old = settle(client, name, start, wait, "an earlier update").await?;
    }
    upload(client, name, Blob::new(zip_bytes), start, wait).await?;
    info!(
        function = name,
        "new code uploaded; waiting until Lambda has applied it"
    );
    let new = settle(client, name, start, wait, "the update").await?;
    if new.last_update_status.as_deref() == Some("Failed") {
        return Err(FunctionError::UpdateFailed {
            function: name.to_owned(),
            reason: new
                .last_update_status_reason
                .unwrap_or_else(|| "Lambda gave no reason".into()),
        });
    }
    Ok(CodeUpdate { old, new })
}

/// UpdateFunctionCode, sent again while the function is busy with another change.
async fn upload(
    client: &Client,
    name: &str,
    zip: Blob,
    start: Instant,
    wait: Duration,
) -> Result<(), FunctionError> {
    let mut pause = FIRST_PAUSE;
    loop {
        let sent = client
            .update_function_code()
            .function_name(name)
            .zip_file(zip.clone())
            .send()
            .await;
        match sent {
            Ok(_) => return Ok(()),
            Err(e) if code(&e) == Some("ResourceConflictException") => {
                if start.elapsed() + pause > wait {
                    return Err(FunctionError::Busy {
                        function: name.to_owned(),
                        waited_secs: start.elapsed().as_secs(),
                    });
                }
                info!(
                    function = name,
                    "another change of the function is in progress; trying again"
                );
            }
            Err(e) if code(&e) == Some("ResourceNotFoundException") => {
                return Err(FunctionError::NotFound {
                    function: name.to_owned(),
                })
            }
            Err(e) => {
                return Err(FunctionError::Aws {
                    operation: "UpdateFunctionCode",
                    function: name.to_owned(),
                    detail: describe(&e, None),
                })
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Polls GetFunctionConfiguration until the function is no longer busy; `what` names the
/// change waited for in the error when `wait` (counted from `start`) runs out.
async fn settle(
    client: &Client,
    name: &str,
    start: Instant,
    wait: Duration,
    what: &'static str,
) -> Result<FunctionInfo, FunctionError> {
    let mut pause = FIRST_PAUSE;
    loop {
        let info = existing_function(client, name).await?;
        if !info.is_busy() {
            return Ok(info);
        }
        if start.elapsed() + pause > wait {
            let status = match info.state.as_deref() {
                Some("Pending") => "Pending".to_owned(),
                _ => info.last_update_status.unwrap_or_default(),
            };
            return Err(FunctionError::NotReady {
                function: name.to_owned(),
                what,
                status,
                waited_secs: start.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(runtime: Option<&str>, architectures: &[&str], package_type: &str) -> FunctionInfo {
        FunctionInfo {
            name: "f".into(),
            arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            code_sha256: "abc=".into(),
            runtime: runtime.map(Into::into),
            architectures: architectures.iter().map(|a| a.to_string()).collect(),
            package_type: Some(package_type.into()),
            state: Some("Active".into()),
            state_reason: None,
            last_update_status: Some("Successful".into()),
            last_update_status_reason: None,
        }
    }

    #[test]
    fn os_only_runtimes_on_x86_64_zip_functions_run_the_bootstrap() {
        info(Some(BOOTSTRAP_RUNTIME), &["x86_64"], "Zip")
            .check_runs_bootstrap()
            .unwrap();
        // provided.al2's glibc 2.26 cannot start a binary built for 2.34.
        let err = info(Some("provided.al2"), &["x86_64"], "Zip")
            .check_runs_bootstrap()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("glibc 2.26") && err.contains("--runtime provided.al2023"),
            "{err}"
        );
        // No architecture named: Lambda's default, x86_64.
        info(Some("provided.al2023"), &[], "Zip")
            .check_runs_bootstrap()
            .unwrap();
    }

    #[test]
    fn arm64_is_refused_with_the_fix() {
        let err = info(Some("provided.al2023"), &["arm64"], "Zip")
            .check_runs_bootstrap()
            .unwrap_err();
        assert!(matches!(err, FunctionError::WrongArchitecture { .. }));
        let text = err.to_string();
        assert!(
            text.contains("arm64") && text.contains("x86_64") && text.contains("'f'"),
            "{text}"
        );
    }

    #[test]
    fn other_runtimes_are_refused_with_the_command_that_fixes_them() {
        let err = info(Some("python3.12"), &["x86_64"], "Zip")
            .check_runs_bootstrap()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("python3.12")
                && text.contains("--runtime provided.al2023 --handler bootstrap"),
            "{text}"
        );
    }

    #[test]
    fn image_functions_are_refused() {
        let err = info(None, &["x86_64"], "Image")
            .check_runs_bootstrap()
            .unwrap_err();
        assert!(matches!(err, FunctionError::NotZip { .. }), "{err}");
    }

    #[test]
    fn pending_or_in_progress_is_busy() {
        let mut f = info(Some("provided.al2023"), &["x86_64"], "Zip");
        assert!(!f.is_busy());
        f.last_update_status = Some("InProgress".into());
        assert!(f.is_busy());
        f.last_update_status = Some("Failed".into());
        assert!(!f.is_busy());
        f.state = Some("Pending".into());
        assert!(f.is_busy());
    }

    #[test]
    fn an_unchanged_hash_is_no_change() {
        let old = info(Some("provided.al2023"), &["x86_64"], "Zip");
        let mut new = old.clone();
        assert!(!CodeUpdate {
            old: old.clone(),
            new: new.clone()
        }
        .changed());
        new.code_sha256 = "def=".into();
        assert!(CodeUpdate { old, new }.changed());
    }
}
