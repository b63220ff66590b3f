//! Signed requests on the wire: a key's signing spec as asked and as shown, and `POST /v1/verify-signed`.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keygate_domain::{Signing, SigningAlgorithm};
use keygate_verifier::SignedRequest;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::verify::VerifyRequest;
use crate::error::ApiError;

/// How the key signs requests (RFC 9421 HTTP Message Signatures).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SigningInput, examples(json!({"algorithm": "ed25519", "public_key": "JrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs="})))]
pub struct SigningInput {
    /// `hmac-sha256` (keygate derives the secret and shows it once as `signing_secret`; needs
    /// `KEYGATE_SIGNING_KEY` on the server) or `ed25519` (the client keeps its private key).
    #[schema(value_type = String, example = "hmac-sha256")]
    algorithm: String,
    /// For `ed25519`: the base64 of the 32-byte public key. Absent for `hmac-sha256`.
    #[serde(default)]
    public_key: Option<String>,
}

/// The signing spec of a create request, with `bearer` (whether the key also has a bearer secret).
pub fn signing(input: Option<&SigningInput>, bearer: Option<bool>) -> Result<Option<Signing>, ApiError> {
    let bearer = bearer.unwrap_or(true);
    let Some(input) = input else {
        return if bearer {
            Ok(None)
        } else {
            Err(ApiError::invalid("bearer", "a key without signing needs its bearer secret"))
        };
    };
    let algorithm =
        input.algorithm.parse::<SigningAlgorithm>().map_err(|e| ApiError::invalid("signing.algorithm", e))?;
    let public_key = input
        .public_key
        .as_deref()
        .map(|k| STANDARD.decode(k.trim()).map_err(|_| ApiError::invalid("signing.public_key", "must be base64")))
        .transpose()?;
    Signing::new(algorithm, public_key.as_deref(), bearer)
        .map(Some)
        .map_err(|e| ApiError::invalid("signing.public_key", e))
}

/// A key's signing spec.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Signing, examples(json!({"algorithm": "hmac-sha256", "key_id": "Ky9Pf34qY6Nb3wWD25RQ4F", "public_key": null})))]
pub struct SigningView {
    /// `hmac-sha256` or `ed25519`.
    #[schema(value_type = String, example = "ed25519")]
    algorithm: &'static str,
    /// What the client puts in the signature's `keyid` parameter: public, safe to log and to show.
    key_id: String,
    /// The Ed25519 public key, base64; `null` for `hmac-sha256`.
    public_key: Option<String>,
}

impl SigningView {
    /// The view of `signing` for the key `key_id`.
    pub fn new(signing: &Signing, key_id: &str) -> Self {
        Self {
            algorithm: signing.algorithm().as_str(),
            key_id: key_id.to_owned(),
            public_key: signing.public_key().map(|k| STANDARD.encode(k)),
        }
    }
}

/// Most header fields a `/v1/verify-signed` request may pass.
const MAX_HEADERS: usize = 32;

/// `POST /v1/verify-signed`: the signed request as the gateway received it, and the usual context. No
/// `Debug`: it holds the signature.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "method": "POST", "authority": "api.example.com", "path": "/v1/cash-out", "query": "",
    "headers": {
        "signature-input": "sig1=(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\");created=1764355200;nonce=\"b3k2pQ\";keyid=\"Ky9Pf34qY6Nb3wWD25RQ4F\";alg=\"hmac-sha256\"",
        "signature": "sig1=:dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBhdCBhbGwh:",
        "content-digest": "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    },
    "tenant_id": "acme", "required_scopes": ["operations:write"], "amount": "250.00", "currency": "XOF"
})))]
pub struct VerifySignedRequest {
    /// The request's method.
    #[schema(min_length = 1, max_length = 32, example = "POST")]
    method: String,
    /// The host (and port, if not the default) the client addressed.
    #[schema(min_length = 1, max_length = 255, example = "api.example.com")]
    authority: String,
    /// The absolute path.
    #[schema(min_length = 1, max_length = 4096, example = "/v1/cash-out")]
    path: String,
    /// The query string without its leading `?`; empty or absent when there is none.
    #[serde(default)]
    #[schema(max_length = 8192)]
    query: Option<String>,
    /// Header fields by lower-case name: `signature-input` and `signature`, `content-digest` when there
    /// is a body, and any other field the signature covers.
    #[schema(value_type = BTreeMap<String, String>)]
    headers: BTreeMap<String, String>,
    /// SHA-256 of the body as received, 64 hex characters. Optional when `content-digest` is given:
    /// without it, the gateway vouches that the body matches `content-digest`.
    #[serde(default)]
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    body_sha256: Option<String>,
    /// The key must belong to this tenant (and the rest of `/v1/verify`'s context fields).
    #[serde(default)]
    #[schema(value_type = Option<super::schema::TenantIdText>)]
    tenant_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<super::schema::AccountIdText>)]
    account_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<super::schema::ScopeText>)]
    required_scopes: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<super::schema::EnvironmentView>)]
    environment: Option<String>,
    #[serde(default)]
    client_ip: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<super::schema::AmountText>)]
    amount: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<super::schema::CurrencyText>)]
    currency: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128, pattern = "^[ -~]{1,128}$")]
    idempotency_key: Option<String>,
}

impl VerifySignedRequest {
    /// The context fields, as `/v1/verify` takes them.
    pub fn context(&self) -> VerifyRequest {
        VerifyRequest {
            key: String::new(),
            tenant_id: self.tenant_id.clone(),
            account_id: self.account_id.clone(),
            required_scopes: self.required_scopes.clone(),
            environment: self.environment.clone(),
            client_ip: self.client_ip.clone(),
            amount: self.amount.clone(),
            currency: self.currency.clone(),
            idempotency_key: self.idempotency_key.clone(),
        }
    }

    /// The request to verify.
    pub fn request(&self) -> Result<SignedRequest, ApiError> {
        let bounded = |name: &str, text: &str, max: usize| {
            if text.is_empty() || text.len() > max || text.chars().any(char::is_control) {
                Err(ApiError::invalid(name, format!("must be 1 to {max} characters, no control characters")))
            } else {
                Ok(text.to_owned())
            }
        };
        let query = self.query.clone().unwrap_or_default();
        if query.starts_with('?') || query.len() > 8192 || query.chars().any(char::is_control) {
            return Err(ApiError::invalid("query", "the query without its leading ?, at most 8192 characters"));
        }
        if self.headers.len() > MAX_HEADERS {
            return Err(ApiError::invalid("headers", format!("at most {MAX_HEADERS} fields")));
        }
        let mut headers = Vec::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let valid_name =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid_name || value.len() > 8192 || value.chars().any(|c| c.is_control() && c != '\t') {
                return Err(ApiError::invalid(
                    "headers",
                    "lower-case field names and values without control characters",
                ));
            }
            headers.push((name.clone(), value.clone()));
        }
        // Neither a hash nor a digest: a request without a body.
        let body_sha256 =
            match (self.body_sha256.as_deref().map(hex32).transpose()?, self.headers.get("content-digest")) {
                (Some(hash), _) => Some(hash),
                (None, None) => Some(keygate_credential::signing::sha256(b"")),
                (None, Some(_)) => None,
            };
        Ok(SignedRequest {
            method: bounded("method", &self.method, 32)?,
            authority: bounded("authority", &self.authority, 255)?,
            path: bounded("path", &self.path, 4096)?,
            query,
            headers,
            body_sha256,
        })
    }
}

fn hex32(text: &str) -> Result<[u8; 32], ApiError> {
    let invalid = || ApiError::invalid("body_sha256", "must be 64 hex characters");
    if text.len() != 64 {
        return Err(invalid());
    }
    let mut out = [0u8; 32];
    for (n, pair) in text.as_bytes().chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
        out[n] = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
    }
    Ok(out)
}
