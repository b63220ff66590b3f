//! Request bodies: at most 64 KiB (a leak report, 256 KiB), JSON only, parsed after the caller is
//! authenticated, and a field that does not fit its type is named in the 400.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Bodies above this are refused with 413.
pub const MAX_BODY: usize = 64 * 1024;

/// A leak report's bodies above this are refused with 413: a thousand tokens with their urls fit.
pub const MAX_LEAK_BODY: usize = 256 * 1024;

/// A body not fully received by then is refused with 408, so a client that stalls mid-body cannot hold
/// a connection and a worker's attention forever (actix's own timeout covers only the request head).
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A request body read in full (at most `MAX` bytes), not yet parsed.
#[derive(Debug)]
pub struct BodyOf<const MAX: usize> {
    bytes: Bytes,
    json: bool,
}

/// A body of every route but the leak report's.
pub type Body = BodyOf<MAX_BODY>;

/// A leak report's body.
pub type LeakBody = BodyOf<MAX_LEAK_BODY>;

impl<const MAX: usize> BodyOf<MAX> {
    /// The bytes as received (a signature is checked over exactly these).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Parses the body as `T`: 415 if it was not sent as JSON, 400 naming the field if it does not fit.
    /// An empty body parses as `{}`, so routes whose fields are all optional accept no body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let bytes: &[u8] = if self.bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &self.bytes };
        if !self.json && bytes != b"{}" {
            return Err(ApiError::UnsupportedMediaType);
        }
        // The plain parse is the fast path; the path-tracking one runs only to name the field in a 400.
        if let Ok(value) = serde_json::from_slice(bytes) {
            return Ok(value);
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            // The root, or a member with an empty name (`{"": 1}`), is named as the body itself.
            let field = if path == "." || path.is_empty() { "body".to_owned() } else { path };
            ApiError::invalid(field, e.into_inner())
        })?;
        // The fast path refused the body, yet this parse took it: what follows the value is the fault
        // (`{} {}`), which only `end` sees.
        de.end().map_err(|e| ApiError::invalid("body", e))?;
        Ok(value)
    }
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or("").trim();
        // Compared without lower-casing a copy: this runs on every request with a body.
        let (kind, subtype) = essence.split_once('/').unwrap_or((essence, ""));
        kind.eq_ignore_ascii_case("application")
            && (subtype.eq_ignore_ascii_case("json")
                || subtype.len() >= 5
                    && subtype.get(subtype.len() - 5..).is_some_and(|s| s.eq_ignore_ascii_case("+json")))
    })
}

impl<const MAX: usize> FromRequest for BodyOf<MAX> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > MAX) {
                return Err(ApiError::TooLarge);
            }
            let read = async {
                // A body that arrives in one chunk (nearly all of them) is kept as it came, not copied.
                let mut first: Option<Bytes> = None;
                let mut more = BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|_| ApiError::invalid("body", "could not be read"))?;
                    let held = first.as_ref().map_or(0, Bytes::len) + more.len();
                    if held + chunk.len() > MAX {
                        return Err(ApiError::TooLarge);
                    }
                    match first.take() {
                        None if more.is_empty() => first = Some(chunk),
                        earlier => {
                            more.extend_from_slice(&earlier.unwrap_or_default());
                            more.extend_from_slice(&chunk);
                        }
                    }
                }
                Ok(first.unwrap_or_else(|| more.freeze()))
            };
            let mut read = std::pin::pin!(read);
            // A body already received with the headers (nearly every one) is read without arming a
            // timer; only one still arriving is held to `BODY_TIMEOUT`.
            let bytes = match futures_util::FutureExt::now_or_never(read.as_mut()) {
                Some(read) => read?,
                None => tokio::time::timeout(BODY_TIMEOUT, read).await.map_err(|_| ApiError::RequestTimeout)??,
            };
            Ok(Self { bytes, json })
        })
    }
}
