//! Service credentials: the gateways and services that ask `/v1/verify`. The system admin issues,
//! lists and disables them; each token is shown once (`{prefix}svc_live_…`, one spelling) and only its
//! hash is kept. A service bound to some tenants verifies only their keys.
//!
//! Authentication is on the hot path of every verification, so a service's record is cached for at
//! most [`SERVICE_TTL`]: a disable is seen at once on the process that made it and within that bound
//! on every other.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Duration, Utc};
use keygate_credential::{PlainToken, Token};
use keygate_domain::{Environment, KeyId, OperatorName, ServiceId, TenantId};
use keygate_store::{Service, StoreError};

use super::{Caller, ManageError, Management};

/// The longest a cached service record is used without reading it again.
pub const SERVICE_TTL: Duration = Duration::seconds(5);

/// A service as read, and when.
type Read = (Service, DateTime<Utc>);

/// Recently authenticated services, by id, with the instant each was read.
#[derive(Default, Clone)]
pub(super) struct ServiceCache(Arc<RwLock<HashMap<ServiceId, Read>>>);

impl ServiceCache {
    fn get(&self, id: ServiceId, now: DateTime<Utc>) -> Option<Service> {
        let map = self.0.read().unwrap_or_else(PoisonError::into_inner);
        map.get(&id).filter(|(_, read)| now - *read < SERVICE_TTL).map(|(s, _)| s.clone())
    }

    fn put(&self, service: Service, now: DateTime<Utc>) {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        // Services are few; a bound keeps a flood of forged ids from growing the map anyway.
        if map.len() >= 10_000 {
            map.clear();
        }
        map.insert(service.id, (service, now));
    }

    fn forget(&self, id: ServiceId) {
        self.0.write().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }
}

impl Management {
    /// Issues a service credential (system admin only); the token is returned once.
    pub async fn create_service(
        &self,
        caller: &Caller,
        name: OperatorName,
        tenants: Option<Vec<TenantId>>,
    ) -> Result<(Service, PlainToken), ManageError> {
        system_only(caller)?;
        for tenant in tenants.iter().flatten() {
            match self.store().tenant(tenant).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(ManageError::invalid("tenants", "names a tenant that does not exist"))
                }
                Err(other) => return Err(other.into()),
            }
        }
        let fresh = Token::generate(Environment::Live);
        let id = ServiceId::from_bytes(*fresh.key_id().as_bytes());
        let service = Service {
            id,
            name,
            tenants,
            token_hash: self.verifier.hasher().hash(fresh.key_id(), fresh.secret()),
            created_at: self.now(),
            disabled_at: None,
        };
        self.store().create_service(&service).await?;
        Ok((service, fresh.to_plain(&self.service_prefix)))
    }

    /// Every service credential (system admin only).
    pub async fn services(&self, caller: &Caller) -> Result<Vec<Service>, ManageError> {
        system_only(caller)?;
        Ok(self.store().services().await?)
    }

    /// Disables a service credential at once (system admin only); its token stops verifying.
    pub async fn disable_service(&self, caller: &Caller, id: ServiceId) -> Result<Service, ManageError> {
        system_only(caller)?;
        let service = self.store().disable_service(id, self.now()).await?;
        self.services.forget(id);
        Ok(service)
    }

    /// The service presenting `raw`, if it is a live service token that matches and is not disabled.
    /// An unknown id costs the same as a wrong secret (a decoy hash is compared).
    pub async fn authenticate_service(&self, raw: &[u8]) -> Result<Service, ManageError> {
        let token = Token::parse(raw, &self.service_prefix)
            .ok()
            .filter(|t| t.environment() == Environment::Live)
            .ok_or(ManageError::Unauthenticated)?;
        let id = ServiceId::from_bytes(*token.key_id().as_bytes());
        let now = self.now();
        let service = match self.services.get(id, now) {
            Some(service) => Some(service),
            None => match self.store().service(id).await {
                Ok(service) => {
                    self.services.put(service.clone(), now);
                    Some(service)
                }
                Err(StoreError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
        };
        let presented = self.verifier.hasher().hash(KeyId::from_bytes(*id.as_bytes()), token.secret());
        let stored = service.as_ref().map_or(self.decoy, |s| s.token_hash);
        match service {
            Some(service) if presented.matches(&stored) && service.disabled_at.is_none() => Ok(service),
            _ => Err(ManageError::Unauthenticated),
        }
    }
}

fn system_only(caller: &Caller) -> Result<(), ManageError> {
    if caller.is_system() {
        Ok(())
    } else {
        Err(ManageError::Forbidden("only the system administrator manages service credentials"))
    }
}
