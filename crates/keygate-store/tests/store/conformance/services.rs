//! Service credentials: they round-trip (bound to some tenants or to all), list oldest first, and a
//! disable is idempotent and keeps the first instant.

use chrono::Duration;
use keygate_credential::SecretHash;
use keygate_domain::{OperatorName, ServiceId};
use keygate_store::{Service, StoreError};

use super::Store;
use crate::fixtures::*;

fn service(n: u8, tenants: Option<Vec<&str>>) -> Service {
    Service {
        id: ServiceId::from_bytes([n; 16]),
        name: OperatorName::parse(&format!("gateway {n}")).unwrap(),
        tenants: tenants.map(|t| t.into_iter().map(tenant_id).collect()),
        token_hash: SecretHash::from_bytes([n; 32]),
        created_at: now() + Duration::seconds(i64::from(n)),
        disabled_at: None,
    }
}

pub async fn services_round_trip_and_are_disabled_once(a: Store, b: Store) {
    let bound = service(1, Some(vec!["acme", "globex"]));
    let every = service(2, None);
    a.create_service(&bound).await.unwrap();
    a.create_service(&every).await.unwrap();
    assert!(matches!(b.create_service(&bound).await, Err(StoreError::AlreadyExists)), "the id is taken");
    assert_eq!(b.services().await.unwrap(), vec![bound.clone(), every.clone()], "oldest first, every field");
    assert!(bound.serves(&tenant_id("acme")) && !bound.serves(&tenant_id("initech")), "bound to its tenants");
    assert!(every.serves(&tenant_id("initech")), "or to all");
    let first = b.disable_service(bound.id, now() + Duration::hours(1)).await.unwrap();
    let again = a.disable_service(bound.id, now() + Duration::hours(2)).await.unwrap();
    assert_eq!(first.disabled_at, Some(now() + Duration::hours(1)), "disabled");
    assert_eq!(again.disabled_at, first.disabled_at, "a second disable keeps the first instant");
    assert_eq!(a.service(bound.id).await.unwrap(), first, "read back from the other handle");
    let unknown = ServiceId::from_bytes([9; 16]);
    assert!(matches!(b.service(unknown).await, Err(StoreError::NotFound)));
    assert!(matches!(b.disable_service(unknown, now()).await, Err(StoreError::NotFound)));
}
