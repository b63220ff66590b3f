//! `Verifier::verify_signed`: a request signed with RFC 9421 HTTP Message Signatures, checked in this
//! order, each failure with its own code (all 401):
//!
//! 1. the `Signature-Input` and `Signature` fields hold a signature (`MALFORMED` otherwise);
//! 2. it covers `@method`, `@authority`, `@path`, `@query` (and `content-digest` when there is a body)
//!    and carries `created`, `nonce`, `keyid`, `alg` (`SIGNATURE_INCOMPLETE`);
//! 3. `created` is within the key's tenant's skew of now, and `expires`, if given, is not past
//!    (`STALE_SIGNATURE`);
//! 4. `Content-Digest` states the body's SHA-256 (`DIGEST_MISMATCH`);
//! 5. the signature verifies under the key `keyid` names with the algorithm `alg` names
//!    (`BAD_SIGNATURE`; an unknown key, a key that does not sign, another algorithm than the key's, or a
//!    key of a tenant the caller may not ask about answer the same, after the same work against a
//!    decoy);
//! 6. the nonce was not used with this key while a signature carrying it could be fresh (`REPLAYED`),
//!    recorded in the store so every process on one database agrees;
//!
//! then the key's state, policy and spend exactly as for a bearer key. The crate never buffers a body:
//! the caller hashes it and passes the digest.

use chrono::{DateTime, Duration, Utc};
use keygate_credential::signing::{
    is_empty_body, sha256_of_field, signature_base, HmacSecret, Message, SignatureInput, VerifyingKey,
};
use keygate_domain::{KeyId, SignatureSkew, SigningAlgorithm};
use keygate_policy::{Denial, RequestContext};
use keygate_store::KeyRecord;

use crate::cache::Entry;
use crate::outcome::{Verified, VerifyError};
use crate::verifier::{outcome_counter, Subject, Verifier, VerifyOptions};

/// Longest nonce accepted (a random 16 to 32 bytes in base64 is far shorter).
pub const MAX_NONCE_LEN: usize = 256;

/// A request as the service received it, for [`Verifier::verify_signed`]. It holds no body: the caller
/// hashes the body and passes its SHA-256.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignedRequest {
    /// The method (`POST`).
    pub method: String,
    /// The host and port the client addressed (`api.example.com`, `localhost:8080`).
    pub authority: String,
    /// The absolute path (`/v1/cash-out`).
    pub path: String,
    /// The query, without its leading `?` (empty when there is none).
    pub query: String,
    /// The header fields: at least `signature-input` and `signature`, `content-digest` when there is a
    /// body, and any other field the signature covers. Names in any case.
    pub headers: Vec<(String, String)>,
    /// SHA-256 of the body as received. `None` when the caller did not hash one: then `Content-Digest`,
    /// if present, is taken as the body's (a gateway that checks it itself).
    pub body_sha256: Option<[u8; 32]>,
}

impl SignedRequest {
    /// The value of the header `name`, lines joined as the signature base joins them.
    pub fn header(&self, name: &str) -> Option<String> {
        self.message().header(name)
    }

    fn message(&self) -> Message<'_> {
        Message {
            method: &self.method,
            authority: &self.authority,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
        }
    }

    /// Whether the request carries a signature at all (a route that accepts either form tells a signed
    /// request from a bearer one by this).
    pub fn is_signed(&self) -> bool {
        self.header("signature-input").is_some() || self.header("signature").is_some()
    }
}

impl Verifier {
    /// Whether HMAC signing keys can be made and checked here (`KEYGATE_SIGNING_KEY` is set).
    pub fn signs_hmac(&self) -> bool {
        self.inner.signing_key.is_some()
    }

    /// The HMAC signing secret of `record`, to show its holder: only for an `hmac-sha256` key whose
    /// secrets were drawn (at creation, or at its reveal), and only where the master key is set.
    pub fn signing_secret(&self, record: &KeyRecord) -> Option<HmacSecret> {
        let spec = record.signing.as_ref()?;
        let master = self.inner.signing_key.as_ref()?;
        (spec.algorithm() == SigningAlgorithm::HmacSha256 && record.key.has_secret())
            .then(|| master.derive(&record.key.id.to_string()))
    }

    /// Decides a signed request (see the module's documentation for the order of checks), then what
    /// `ctx` describes, exactly as [`Verifier::verify`] does for a bearer key.
    pub async fn verify_signed(&self, request: &SignedRequest, ctx: &RequestContext) -> Result<Verified, VerifyError> {
        self.verify_signed_with_subject(request, ctx, VerifyOptions::default()).await.0
    }

    /// [`Verifier::verify_signed`] with [`VerifyOptions`], also answering the key `keyid` named when it
    /// exists and signs (whatever the outcome), for its request log.
    pub async fn verify_signed_with_subject(
        &self,
        request: &SignedRequest,
        ctx: &RequestContext,
        options: VerifyOptions<'_>,
    ) -> (Result<Verified, VerifyError>, Option<Subject>) {
        let mut named = None;
        let outcome = self.verify_signed_inner(request, ctx, options, &mut named).await;
        outcome_counter(&outcome).increment(1);
        let subject = named.as_deref().filter(|r: &&KeyRecord| r.signing.is_some()).map(|r| Subject::of(&r.key));
        (outcome, subject)
    }

    async fn verify_signed_inner(
        &self,
        request: &SignedRequest,
        ctx: &RequestContext,
        options: VerifyOptions<'_>,
        named: &mut Entry,
    ) -> Result<Verified, VerifyError> {
        let (Some(fields), Some(signatures)) = (request.header("signature-input"), request.header("signature")) else {
            return Err(Denial::Malformed.into());
        };
        let input = SignatureInput::select(&fields, &signatures).map_err(|_| Denial::Malformed)?;
        let stated = request.header("content-digest");
        let has_body = match request.body_sha256 {
            Some(hash) => !is_empty_body(&hash),
            None => stated.is_some(),
        };
        if let Some(missing) = input.missing(has_body) {
            return Err(Denial::SignatureIncomplete { missing }.into());
        }
        // `missing` returned None, so these are present.
        let (Some(keyid), Some(nonce), Some(created), Some(alg)) =
            (input.keyid(), input.nonce(), input.created(), input.alg())
        else {
            return Err(Denial::Malformed.into());
        };
        if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN {
            return Err(Denial::Malformed.into());
        }
        let entry = match KeyId::parse(keyid) {
            Ok(id) => self.lookup(id).await?,
            Err(_) => None,
        };
        named.clone_from(&entry);
        let record = entry.as_deref();
        let skew = match record {
            Some(r) => self.rules(&r.key.tenant).await?.skew,
            None => SignatureSkew::DEFAULT,
        };
        let now = self.clock().now();
        let created = DateTime::<Utc>::from_timestamp(created, 0)
            .ok_or(Denial::StaleSignature { skew_seconds: skew.as_seconds() })?;
        let expired = input.expires().is_some_and(|e| e < now.timestamp());
        if expired || (now - created).abs() > Duration::seconds(i64::from(skew.as_seconds())) {
            return Err(Denial::StaleSignature { skew_seconds: skew.as_seconds() }.into());
        }
        check_digest(request, stated.as_deref(), has_body)?;
        let base = signature_base(&input, &request.message()).map_err(|_| Denial::Malformed)?;
        let alg = alg.parse::<SigningAlgorithm>().ok();
        let within = options.within.is_none_or(|tenants| record.is_some_and(|r| tenants.contains(&r.key.tenant)));
        let signer = record.filter(|_| within).and_then(|r| r.signing.as_ref().map(|s| (r, s)));
        // Whatever is wrong with the key, the work the signature's `alg` asks for is done: an HMAC
        // under a secret derived like a real one, or an Ed25519 check against a decoy public key.
        let spec = signer.map(|(_, spec)| spec).filter(|spec| Some(spec.algorithm()) == alg);
        // Derived from the keyid as sent (the key id's one spelling): for a key that signs, its secret.
        let hmac_secret = (alg != Some(SigningAlgorithm::Ed25519))
            .then(|| self.inner.signing_key.as_ref().map(|master| master.derive(keyid)))
            .flatten();
        let key = match (spec.map(keygate_domain::Signing::algorithm), spec.and_then(|s| s.public_key()), &hmac_secret)
        {
            (Some(SigningAlgorithm::Ed25519), Some(public), _) => Some(VerifyingKey::Ed25519(public)),
            (Some(SigningAlgorithm::HmacSha256), None, Some(secret)) => Some(VerifyingKey::Hmac(secret)),
            _ => None,
        };
        let decoy = match (alg, &hmac_secret) {
            (Some(SigningAlgorithm::Ed25519), _) => VerifyingKey::Ed25519(&self.inner.ed25519_decoy),
            (_, Some(secret)) => VerifyingKey::Hmac(secret),
            (_, None) => VerifyingKey::Hmac(&self.inner.signing_decoy),
        };
        let verified = key.unwrap_or(decoy).verify(base.as_bytes(), input.signature());
        let Some((record, _)) = signer.filter(|_| verified && key.is_some()) else {
            return Err(Denial::BadSignature.into());
        };
        let until = created.max(now) + Duration::seconds(i64::from(skew.as_seconds()));
        let first = self.store().record_nonce(record.key.id, nonce, now, until).await;
        if !first.map_err(crate::verifier::store_error)? {
            return Err(Denial::Replayed.into());
        }
        self.authorize(record, ctx, options).await
    }
}

/// `Content-Digest` against the body's hash: required when there is a body, and equal to it when the
/// caller hashed one.
fn check_digest(request: &SignedRequest, stated: Option<&str>, has_body: bool) -> Result<(), Denial> {
    match (stated, request.body_sha256) {
        (None, _) if has_body => Err(Denial::DigestMismatch),
        (None, _) => Ok(()),
        (Some(field), hash) => match (sha256_of_field(field), hash) {
            (Err(_), _) => Err(Denial::DigestMismatch),
            (Ok(stated), Some(hash)) if stated != hash => Err(Denial::DigestMismatch),
            (Ok(_), _) => Ok(()),
        },
    }
}
