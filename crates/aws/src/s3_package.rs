//! The function's package in S3: `wsproxy package --upload s3://BUCKET/KEY` puts it there and
//! prints what Terraform needs (`lambda_s3_bucket`, `lambda_s3_key`,
//! `lambda_s3_object_version`, `lambda_s3_source_code_hash`); `wsproxy doctor` checks that
//! the object exists and is the package (its base64 SHA-256, Lambda's `source_code_hash`).

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use std::error::Error as StdError;
use std::fmt;
use std::str::FromStr;

/// Where a package is: `s3://BUCKET/KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The object's key.
    pub key: String,
}

impl FromStr for S3Location {
    type Err = S3PackageError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let bad = || S3PackageError::BadUrl(url.to_owned());
        let rest = url.strip_prefix("s3://").ok_or_else(bad)?;
        let (bucket, key) = rest.split_once('/').ok_or_else(bad)?;
        if bucket.is_empty() || key.is_empty() || key.ends_with('/') {
            return Err(bad());
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// A package uploaded: what to put in tfvars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedPackage {
    /// Where it is.
    pub location: S3Location,
    /// The object's version; `None` when the bucket is not versioned.
    pub version_id: Option<String>,
    /// base64 SHA-256 of the bytes: Lambda's `source_code_hash`.
    pub base64_sha256: String,
}

impl UploadedPackage {
    /// The tfvars lines for the module's S3 package inputs.
    pub fn tfvars(&self) -> String {
        let version = match &self.version_id {
            Some(v) => format!("lambda_s3_object_version   = \"{v}\"\n"),
            None => "# lambda_s3_object_version: none, the bucket is not versioned (turn versioning on to pin the object)\n".to_owned(),
        };
        format!(
            "lambda_s3_bucket           = \"{}\"\nlambda_s3_key              = \"{}\"\n{version}lambda_s3_source_code_hash = \"{}\"\n",
            self.location.bucket, self.location.key, self.base64_sha256
        )
    }
}

/// What went wrong with a package in S3.
#[derive(Debug, thiserror::Error)]
pub enum S3PackageError {
    /// Not an `s3://BUCKET/KEY` URL.
    #[error("{0:?} is not an S3 object URL: give s3://BUCKET/KEY, e.g. s3://my-artifacts/wsproxy/bootstrap.zip")]
    BadUrl(String),
    /// The bucket does not exist (in this region, at this endpoint).
    #[error("cannot upload to {location}: bucket {bucket:?} does not exist. Create it in the function's region (`aws s3 mb s3://{bucket}`, and `aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled` to pin versions), or give an existing bucket: --upload s3://BUCKET/KEY")]
    NoSuchBucket {
        /// The bucket asked for.
        bucket: String,
        /// Where the package was to go.
        location: S3Location,
    },
    /// The upload failed.
    #[error("uploading to {location} failed: {message}; check that the bucket exists in this region and that your credentials may s3:PutObject on it")]
    Upload {
        /// Where to.
        location: S3Location,
        /// S3's error.
        message: String,
    },
    /// The object (or that version of it) does not exist.
    #[error("{location}{} does not exist: upload the package with `wsproxy package --upload {location}` and put the printed values in tfvars", version_suffix(.version))]
    NotFound {
        /// Where it should be.
        location: S3Location,
        /// The version asked for.
        version: Option<String>,
    },
    /// The object could not be read.
    #[error("cannot read {location}: {message}; check your credentials may s3:GetObject (and s3:GetObjectVersion) on it")]
    Read {
        /// Where.
        location: S3Location,
        /// S3's error.
        message: String,
    },
}

fn version_suffix(version: &Option<String>) -> String {
    version
        .as_ref()
        .map(|v| format!(" (version {v})"))
        .unwrap_or_default()
}

/// A failed call in one line: S3's code and message, or the SDK's error and its causes (the
/// SDK's errors hold the answer, never the request: no credential is in them).
fn one_line<E, R>(err: &SdkError<E, R>) -> String
where
    E: StdError + ProvideErrorMetadata + 'static,
    R: fmt::Debug,
{
    if let Some(service) = err.as_service_error() {
        if let Some(code) = service.code() {
            return format!("{code}: {}", service.message().unwrap_or("no message"));
        }
    }
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Uploads `bytes` (a `bootstrap.zip`) to `location` and says what to put in tfvars.
pub async fn upload_package(
    client: &aws_sdk_s3::Client,
    location: &S3Location,
    bytes: Vec<u8>,
) -> Result<UploadedPackage, S3PackageError> {
    let base64_sha256 = wsproxy_package::base64_sha256_of(&bytes);
    let out = client
        .put_object()
        .bucket(&location.bucket)
        .key(&location.key)
        .content_type("application/zip")
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(|e| match e.as_service_error().and_then(|s| s.code()) {
            Some("NoSuchBucket") => S3PackageError::NoSuchBucket {
                bucket: location.bucket.clone(),
                location: location.clone(),
            },
            _ => S3PackageError::Upload {
                location: location.clone(),
                message: one_line(&e),
            },
        })?;
    Ok(UploadedPackage {
        location: location.clone(),
        version_id: out.version_id().filter(|v| *v != "null").map(str::to_owned),
        base64_sha256,
    })
}

/// The base64 SHA-256 of the object at `location` (that `version`, or the latest).
pub async fn package_object_sha256(
    client: &aws_sdk_s3::Client,
    location: &S3Location,
    version: Option<&str>,
) -> Result<String, S3PackageError> {
    let read_error = |message: String| S3PackageError::Read {
        location: location.clone(),
        message,
    };
    let out = client
        .get_object()
        .bucket(&location.bucket)
        .key(&location.key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .map_err(|e| {
            let code = e.as_service_error().and_then(|s| s.code()).unwrap_or("");
            // A version id S3 cannot parse is InvalidArgument: no such version either.
            let bad_version = version.is_some() && code == "InvalidArgument";
            if bad_version || matches!(code, "NoSuchKey" | "NoSuchVersion" | "NoSuchBucket") {
                S3PackageError::NotFound {
                    location: location.clone(),
                    version: version.map(str::to_owned),
                }
            } else {
                read_error(DisplayErrorContext(&e).to_string())
            }
        })?;
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| read_error(e.to_string()))?
        .into_bytes();
    Ok(wsproxy_package::base64_sha256_of(&bytes))
}

#[cfg(test)]
mod tests {
    use super::S3Location;

    #[test]
    fn s3_urls_parse_and_bad_ones_say_what_to_give() {
        let loc: S3Location = "s3://my-artifacts/wsproxy/bootstrap.zip".parse().unwrap();
        assert_eq!(loc.bucket, "my-artifacts");
        assert_eq!(loc.key, "wsproxy/bootstrap.zip");
        assert_eq!(loc.to_string(), "s3://my-artifacts/wsproxy/bootstrap.zip");
        for bad in [
            "my-artifacts/bootstrap.zip",
            "s3://my-artifacts",
            "s3://my-artifacts/",
            "s3:///bootstrap.zip",
            "s3://b/folder/",
            "https://b.s3.amazonaws.com/k",
        ] {
            let err = bad.parse::<S3Location>().unwrap_err().to_string();
            assert!(err.contains("give s3://BUCKET/KEY"), "{bad}: {err}");
        }
    }
}
