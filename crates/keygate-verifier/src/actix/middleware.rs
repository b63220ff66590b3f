//! `RequireScope`: the middleware that verifies the request's key before the handler runs.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::{web, Error, HttpMessage};
use keygate_domain::{AccountId, Scope, ScopeError, TenantId};
use keygate_policy::{Denial, RequestContext};

use super::client_ip::client_ip;
use super::credential::presented_token;
use super::keygate::Keygate;
use super::problem::Problem;
use super::signed::{is_signed, signed_request, Accepts};
use crate::verifier::VerifyOptions;

#[derive(Debug, Clone, Default)]
struct Spec {
    scopes: Vec<Scope>,
    tenant_param: Option<String>,
    account_param: Option<String>,
    accepts: Accepts,
}

/// Verifies the request's key for the scopes given before the wrapped route runs, and hands the
/// handler a [`super::VerifiedKey`]. Refusals never reach the handler.
#[derive(Debug, Clone, Default)]
pub struct RequireScope {
    spec: Arc<Spec>,
}

impl RequireScope {
    /// Requires `scope`. The scope is a literal in the service's source, so a malformed one is a bug
    /// found at start-up: this panics with the reason. Use [`RequireScope::try_new`] for scopes read
    /// from configuration.
    #[allow(clippy::panic)]
    pub fn new(scope: &str) -> Self {
        Self::try_new(scope).unwrap_or_else(|e| panic!("RequireScope::new({scope:?}): {e}"))
    }

    /// Requires `scope`, or says why it is not a scope.
    pub fn try_new(scope: &str) -> Result<Self, ScopeError> {
        Ok(Self { spec: Arc::new(Spec { scopes: vec![Scope::parse(scope)?], ..Spec::default() }) })
    }

    /// Requires a valid key and nothing more.
    pub fn authenticated() -> Self {
        Self::default()
    }

    /// Also requires `scope` (see [`RequireScope::new`] on malformed literals).
    #[must_use]
    #[allow(clippy::panic)]
    pub fn and(self, scope: &str) -> Self {
        let scope = Scope::parse(scope).unwrap_or_else(|e| panic!("RequireScope::and({scope:?}): {e}"));
        let mut spec = Spec::clone(&self.spec);
        spec.scopes.push(scope);
        Self { spec: Arc::new(spec) }
    }

    /// The key must belong to the tenant named by this path segment (`/distributors/{id}/...`).
    #[must_use]
    pub fn tenant_from_path(self, name: &str) -> Self {
        let spec = Spec { tenant_param: Some(name.to_owned()), ..Spec::clone(&self.spec) };
        Self { spec: Arc::new(spec) }
    }

    /// A key bound to an account must be bound to the account named by this path segment
    /// (`/distributors/{id}/agents/{agent}/...`), or it is refused `WRONG_ACCOUNT`; a key of the whole
    /// tenant may act for any of its accounts. A segment that is not even an account id is refused
    /// `WRONG_ACCOUNT` to every key (after it authenticates), as no key can be bound to it.
    #[must_use]
    pub fn account_from_path(self, name: &str) -> Self {
        let spec = Spec { account_param: Some(name.to_owned()), ..Spec::clone(&self.spec) };
        Self { spec: Arc::new(spec) }
    }

    /// Requires a signed request (RFC 9421 HTTP Message Signatures, `Content-Digest` for the body): a
    /// bearer key, or no credential, is refused `SIGNATURE_REQUIRED` (401).
    #[must_use]
    pub fn signed(self) -> Self {
        let spec = Spec { accepts: Accepts::Signed, ..Spec::clone(&self.spec) };
        Self { spec: Arc::new(spec) }
    }

    /// Accepts a signed request or a bearer key: a request carrying `Signature-Input` or `Signature` is
    /// checked as signed, any other as bearer.
    #[must_use]
    pub fn signed_or_bearer(self) -> Self {
        let spec = Spec { accepts: Accepts::Either, ..Spec::clone(&self.spec) };
        Self { spec: Arc::new(spec) }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireScope
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireScopeMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireScopeMiddleware { service: Rc::new(service), spec: self.spec.clone() }))
    }
}

/// The middleware instance [`RequireScope`] builds for each worker.
pub struct RequireScopeMiddleware<S> {
    service: Rc<S>,
    spec: Arc<Spec>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for RequireScopeMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let spec = self.spec.clone();
        Box::pin(async move {
            let Some(keygate) = req.app_data::<web::Data<Keygate>>().cloned() else {
                tracing::error!("RequireScope used without web::Data<Keygate> in the app");
                let problem =
                    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "The service is misconfigured");
                return Ok(req.into_response(problem.response()).map_into_right_body());
            };
            let signed = spec.accepts != Accepts::Bearer && is_signed(&req);
            let outcome = if signed {
                match signed_request(&mut req).await {
                    Err(problem) => Err(problem),
                    Ok(request) => {
                        let (ctx, unparsable) = context(&req, &spec, &keygate);
                        let started = std::time::Instant::now();
                        let (verified, subject) =
                            keygate.verifier.verify_signed_with_subject(&request, &ctx, VerifyOptions::default()).await;
                        decided(&keygate, subject.as_ref(), &ctx, verified, unparsable, started)
                    }
                }
            } else if spec.accepts == Accepts::Signed {
                Err(Problem::from(&crate::VerifyError::from(Denial::SignatureRequired)))
            } else {
                match presented_token(req.headers()) {
                    None => {
                        Err(Problem::new(StatusCode::UNAUTHORIZED, "MISSING_CREDENTIAL", "No API key was presented"))
                    }
                    Some(token) => {
                        let (ctx, unparsable) = context(&req, &spec, &keygate);
                        let started = std::time::Instant::now();
                        let (verified, subject) = match &keygate.request_log {
                            Some(_) => {
                                keygate.verifier.verify_with_subject(token, &ctx, VerifyOptions::default()).await
                            }
                            None => (keygate.verifier.verify(token, &ctx).await, None),
                        };
                        decided(&keygate, subject.as_ref(), &ctx, verified, unparsable, started)
                    }
                }
            };
            match outcome {
                Ok(verified) => {
                    req.extensions_mut().insert(verified);
                    service.call(req).await.map(ServiceResponse::map_into_left_body)
                }
                Err(problem) => Ok(req.into_response(problem.response()).map_into_right_body()),
            }
        })
    }
}

/// The outcome once the path's tenant and account are held to it, noted in the request log.
fn decided(
    keygate: &Keygate,
    subject: Option<&crate::Subject>,
    ctx: &RequestContext,
    verified: Result<crate::Verified, crate::VerifyError>,
    unparsable: Unparsable,
    started: std::time::Instant,
) -> Result<crate::Verified, Problem> {
    // Authenticate first, so a bad credential is a 401 whatever the URL says; then the tenant before
    // the account, as `evaluate` orders them.
    let verified = verified.and_then(|v| match unparsable {
        Unparsable { tenant: true, .. } => Err(Denial::WrongTenant.into()),
        Unparsable { account: true, .. } => Err(Denial::WrongAccount.into()),
        Unparsable { .. } => Ok(v),
    });
    if let Some(log) = &keygate.request_log {
        log.note(subject, ctx, &verified, started.elapsed(), None);
    }
    verified.map_err(|e| Problem::from(&e))
}

/// Which path segments the spec reads named something that does not even parse (a tenant that is not a
/// tenant id, an account that is not an account id), and so cannot be the key's.
#[derive(Debug, Clone, Copy)]
struct Unparsable {
    tenant: bool,
    account: bool,
}

/// The context to verify against, and which of its path segments did not parse.
fn context(req: &ServiceRequest, spec: &Spec, keygate: &Keygate) -> (RequestContext, Unparsable) {
    let segment = |param: &Option<String>| param.as_ref().map(|name| req.match_info().get(name).unwrap_or_default());
    let path_tenant = segment(&spec.tenant_param).map(|t| TenantId::parse(t).ok());
    let path_account = segment(&spec.account_param).map(|a| AccountId::parse(a).ok());
    let unparsable =
        Unparsable { tenant: matches!(path_tenant, Some(None)), account: matches!(path_account, Some(None)) };
    let ctx = RequestContext {
        tenant: path_tenant.flatten(),
        account_id: path_account.flatten(),
        required_scopes: spec.scopes.clone(),
        environment: keygate.environment,
        client_ip: client_ip(req, &keygate.trusted_proxies),
        amount: None,
    };
    (ctx, unparsable)
}
