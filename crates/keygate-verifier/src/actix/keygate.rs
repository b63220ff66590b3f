//! What the middleware needs from the application: the verifier and how this service runs.

use std::sync::Arc;

use ipnetwork::IpNetwork;
use keygate_domain::Environment;

use crate::request_log::RequestLog;
use crate::verifier::Verifier;

/// Application data for the middleware: put it in `App::app_data(web::Data::new(keygate))`.
#[derive(Clone, Debug)]
pub struct Keygate {
    pub(crate) verifier: Verifier,
    pub(crate) environment: Option<Environment>,
    pub(crate) trusted_proxies: Arc<[IpNetwork]>,
    pub(crate) request_log: Option<RequestLog>,
}

impl Keygate {
    /// Wraps a verifier. No environment check and no trusted proxies until set.
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier, environment: None, trusted_proxies: Arc::from(Vec::new()), request_log: None }
    }

    /// The environment this service runs in: keys of the other environment get `WRONG_ENVIRONMENT`.
    #[must_use]
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Proxies whose `X-Forwarded-For` is believed.
    #[must_use]
    pub fn trusted_proxies(mut self, networks: Vec<IpNetwork>) -> Self {
        self.trusted_proxies = Arc::from(networks);
        self
    }

    /// Keeps a request-log line for every verification of an existing key, allowed or refused (see
    /// [`RequestLog`]); without it, nothing is logged per key.
    #[must_use]
    pub fn request_log(mut self, log: RequestLog) -> Self {
        self.request_log = Some(log);
        self
    }

    /// The verifier (for `charge` and `release` in handlers).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}
