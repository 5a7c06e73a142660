//! SigV4 verification of `@connections` calls: the request is signed again with the
//! configured key and the two signatures are compared in constant time.

use crate::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http::{HeaderMap, Method, Uri};
use std::time::{Duration, SystemTime};
use time::macros::format_description;
use time::PrimitiveDateTime;

/// The service name `@connections` callers sign for.
const SERVICE: &str = "execute-api";
/// The largest accepted difference between `X-Amz-Date` and the gateway's clock.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Why a request was refused (403 ForbiddenException). The messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    /// No `Authorization` header.
    #[error("Missing Authentication Token")]
    Missing,
    /// The header or date is not SigV4 as expected.
    #[error("malformed SigV4 authorization: {0}")]
    Malformed(&'static str),
    /// Signed with another access key id.
    #[error("The security token included in the request is invalid.")]
    UnknownKey,
    /// `X-Amz-Date` is too far from now.
    #[error("Signature expired: X-Amz-Date is more than 15 minutes away from the server's time")]
    Stale,
    /// The signature does not match.
    #[error("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")]
    Mismatch,
}

/// The parts of a SigV4 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authorization {
    region: String,
    signed_headers: Vec<String>,
    signature: String,
    time: SystemTime,
}

/// Checks everything that does not need the body: header shape, key id (one of `keys`, the
/// first of that id is returned), service, date.
pub(crate) fn check_headers<'a>(
    keys: &[&'a Credentials],
    headers: &HeaderMap,
    now: SystemTime,
) -> Result<(Authorization, &'a Credentials), AuthError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Malformed("the Authorization header is not text"))?;
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or(AuthError::Malformed(
            "the algorithm must be AWS4-HMAC-SHA256",
        ))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(AuthError::Malformed(
            "Credential, SignedHeaders and Signature are required",
        ));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(AuthError::Malformed(
            "the credential scope must be KEY/DATE/REGION/SERVICE/aws4_request",
        ));
    };
    if service != SERVICE {
        return Err(AuthError::Malformed(
            "the signing service must be execute-api",
        ));
    }
    if region.is_empty() {
        return Err(AuthError::Malformed("the credential scope has no region"));
    }
    let credentials = keys
        .iter()
        .find(|k| k.access_key_id == key_id)
        .copied()
        .ok_or(AuthError::UnknownKey)?;
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Malformed("the X-Amz-Date header is required"))?;
    if !amz_date.starts_with(date) || date.len() != 8 {
        return Err(AuthError::Malformed(
            "the credential scope's date differs from X-Amz-Date",
        ));
    }
    let time = parse_amz_date(amz_date)?;
    let skew = now.duration_since(time).unwrap_or_else(|e| e.duration());
    if skew > MAX_SKEW {
        return Err(AuthError::Stale);
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_owned).collect();
    if !signed_headers.iter().any(|h| h == "host") {
        return Err(AuthError::Malformed("the host header must be signed"));
    }
    let auth = Authorization {
        region: region.to_owned(),
        signed_headers,
        signature: signature.to_owned(),
        time,
    };
    Ok((auth, credentials))
}

/// Signs the received request again with the configured secret and compares signatures.
pub(crate) fn verify(
    credentials: &Credentials,
    auth: &Authorization,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), AuthError> {
    let mut signed_headers = Vec::new();
    for name in &auth.signed_headers {
        let mut found = false;
        for value in headers.get_all(name.as_str()) {
            let value = value
                .to_str()
                .map_err(|_| AuthError::Malformed("a signed header is not text"))?;
            signed_headers.push((name.as_str(), value));
            found = true;
        }
        if !found {
            return Err(AuthError::Mismatch);
        }
    }
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let request = SignableRequest::new(
        method.as_str(),
        path_and_query,
        signed_headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|_| AuthError::Malformed("the request cannot be signed"))?;
    let mut settings = SigningSettings::default();
    // Sign exactly the headers the caller signed (the SDKs double-encode the path for this service,
    // which is the default PercentEncodingMode::Double).
    settings.excluded_headers = None;
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        None,
        None,
        "wsproxy-gateway",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name(SERVICE)
        .time(auth.time)
        .settings(settings)
        .build()
        .map_err(|_| AuthError::Malformed("the request cannot be signed"))?
        .into();
    let output =
        sign(request, &params).map_err(|_| AuthError::Malformed("the request cannot be signed"))?;
    if constant_time_eq(output.signature().as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::Mismatch)
    }
}

fn parse_amz_date(value: &str) -> Result<SystemTime, AuthError> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(value, format)
        .map(|t| SystemTime::from(t.assume_utc()))
        .map_err(|_| AuthError::Malformed("X-Amz-Date must look like 20240101T000000Z"))
}

/// Compares two byte strings without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn creds(secret: &str) -> Credentials {
        Credentials {
            access_key_id: "AKIDTEST".into(),
            secret_access_key: secret.into(),
        }
    }

    /// Signs like an AWS SDK would; returns the headers to send.
    fn signed(secret: &str, time: SystemTime, uri: &str, body: &[u8]) -> HeaderMap {
        let identity =
            aws_credential_types::Credentials::new("AKIDTEST", secret, None, None, "t").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("eu-west-1")
            .name("execute-api")
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let base = [
            ("host", "127.0.0.1:9"),
            ("content-type", "application/json"),
        ];
        let req =
            SignableRequest::new("POST", uri, base.into_iter(), SignableBody::Bytes(body)).unwrap();
        let (instructions, _) = sign(req, &params).unwrap().into_parts();
        let mut headers = HeaderMap::new();
        for (k, v) in base {
            headers.insert(k, HeaderValue::from_static(v));
        }
        for (k, v) in instructions.headers() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        headers
    }

    fn check(
        headers: &HeaderMap,
        secret: &str,
        uri: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), AuthError> {
        let c = creds(secret);
        let (auth, _) = check_headers(&[&c], headers, now)?;
        verify(
            &c,
            &auth,
            &Method::POST,
            &uri.parse().unwrap(),
            headers,
            body,
        )
    }

    #[test]
    fn accepts_its_own_signature_and_rejects_tampering() {
        let now = SystemTime::now();
        let uri = "/dev/%40connections/ab%2Bc%2Fd%3D";
        let h = signed("secret", now, uri, b"hello");
        assert_eq!(check(&h, "secret", uri, b"hello", now), Ok(()));
        assert_eq!(
            check(&h, "other", uri, b"hello", now),
            Err(AuthError::Mismatch)
        );
        assert_eq!(
            check(&h, "secret", uri, b"hellO", now),
            Err(AuthError::Mismatch)
        );
        assert_eq!(
            check(&h, "secret", "/dev/%40connections/x", b"hello", now),
            Err(AuthError::Mismatch)
        );
        let later = now + Duration::from_secs(16 * 60);
        assert_eq!(
            check(&h, "secret", uri, b"hello", later),
            Err(AuthError::Stale)
        );
    }

    #[test]
    fn rejects_missing_or_foreign_authorization() {
        let now = SystemTime::now();
        assert_eq!(
            check(&HeaderMap::new(), "s", "/", b"", now),
            Err(AuthError::Missing)
        );
        let mut h = signed("s", now, "/dev", b"");
        let auth = h["authorization"]
            .to_str()
            .unwrap()
            .replace("AKIDTEST", "AKIDOTHER");
        h.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        assert_eq!(check(&h, "s", "/dev", b"", now), Err(AuthError::UnknownKey));
        let auth = h["authorization"]
            .to_str()
            .unwrap()
            .replace("execute-api", "s3");
        h.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        assert!(matches!(
            check(&h, "s", "/dev", b"", now),
            Err(AuthError::Malformed(_))
        ));
    }

    #[test]
    fn compares_in_constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
