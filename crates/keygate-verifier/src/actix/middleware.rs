//! `RequireScope`: the middleware that verifies the request's key before the handler runs.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::{web, Error, HttpMessage};
use keygate_domain::{Scope, ScopeError, TenantId};
use keygate_policy::{Denial, RequestContext};

use super::client_ip::client_ip;
use super::credential::presented_token;
use super::keygate::Keygate;
use super::problem::Problem;

#[derive(Debug, Default)]
struct Spec {
    scopes: Vec<Scope>,
    tenant_param: Option<String>,
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
        Ok(Self { spec: Arc::new(Spec { scopes: vec![Scope::parse(scope)?], tenant_param: None }) })
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
        let mut spec = Spec { scopes: self.spec.scopes.clone(), tenant_param: self.spec.tenant_param.clone() };
        spec.scopes.push(scope);
        Self { spec: Arc::new(spec) }
    }

    /// The key must belong to the tenant named by this path segment (`/distributors/{id}/...`).
    #[must_use]
    pub fn tenant_from_path(self, name: &str) -> Self {
        let spec = Spec { scopes: self.spec.scopes.clone(), tenant_param: Some(name.to_owned()) };
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

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let spec = self.spec.clone();
        Box::pin(async move {
            let Some(keygate) = req.app_data::<web::Data<Keygate>>().cloned() else {
                tracing::error!("RequireScope used without web::Data<Keygate> in the app");
                let problem =
                    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "The service is misconfigured");
                return Ok(req.into_response(problem.response()).map_into_right_body());
            };
            let outcome = match presented_token(req.headers()) {
                None => Err(Problem::new(StatusCode::UNAUTHORIZED, "MISSING_CREDENTIAL", "No API key was presented")),
                Some(token) => {
                    let (ctx, tenant_unparsable) = context(&req, &spec, &keygate);
                    let verified = keygate.verifier.verify(token, &ctx).await;
                    // Authenticate first, so a bad credential is a 401 whatever the URL says.
                    let verified =
                        verified.and_then(|v| if tenant_unparsable { Err(Denial::WrongTenant.into()) } else { Ok(v) });
                    verified.map_err(|e| Problem::from(&e))
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

/// The context to verify against, and whether the path named a tenant that is not even a tenant id
/// (which then cannot be the key's tenant).
fn context(req: &ServiceRequest, spec: &Spec, keygate: &Keygate) -> (RequestContext, bool) {
    let path_tenant =
        spec.tenant_param.as_ref().map(|name| req.match_info().get(name).and_then(|t| TenantId::parse(t).ok()));
    let ctx = RequestContext {
        tenant: path_tenant.clone().flatten(),
        required_scopes: spec.scopes.clone(),
        environment: keygate.environment,
        client_ip: client_ip(req, &keygate.trusted_proxies),
        amount: None,
    };
    (ctx, matches!(path_tenant, Some(None)))
}
