//! Secrets revealed after approval in the store: a key stored without a hash reads back without one, a
//! reveal sets the hash and the masked form with the key's new state in one write, and of two reveals at
//! one version exactly one is applied (the other is a conflict and changes nothing).

use keygate_domain::{Event, Reveal, RevealPolicy};
use keygate_store::{AuditKind, KeyChange, KeyWrite, StoreError};

use super::Store;
use crate::fixtures::*;

pub async fn a_secret_revealed_after_approval_is_written_once_with_its_state(a: Store, b: Store) {
    let mut t = tenant("acme");
    t.policy.reveal = RevealPolicy::AfterApproval;
    let created = audit(&t.id, None, keygate_domain::ActorId::System, AuditKind::TenantCreated);
    a.create_tenant(&t, &[], &[created]).await.unwrap();
    assert_eq!(b.tenant(&t.id).await.unwrap(), t, "the reveal settings read back");

    let (mut record, made) = new_key(&t, "pos-1", daily_limit("10"), now());
    (record.secret_hash, record.masked) = (None, None);
    a.commit(&[insert(&record, &made)]).await.unwrap();
    let stored = b.key(&t.id, record.key.id).await.unwrap();
    assert_eq!(stored, record, "no hash and no masked form before the reveal");
    assert_eq!(stored.key.reveal, Some(Reveal::AwaitingApproval));

    let approved = record.key.apply(Event::Approve, &checker(2), &t.policy, now()).unwrap();
    a.commit(&[update(&record.key, &approved, &checker(2))]).await.unwrap();
    let revealed = approved.key.apply(Event::RevealSecret, &maker(), &t.policy, now()).unwrap();
    let reveal = |hash| KeyChange {
        write: KeyWrite::Reveal {
            expected_version: approved.key.version,
            key: revealed.key.clone(),
            secret_hash: hash,
            masked: "kg_live_…abcd".to_owned(),
        },
        audit: update(&approved.key, &revealed, &maker()).audit,
    };
    let (first, second) = (fresh_hash(), fresh_hash());
    let (mine, theirs) = ([reveal(first)], [reveal(second)]);
    let (one, other) = tokio::join!(a.commit(&mine), b.commit(&theirs));
    let won = match (one, other) {
        (Ok(()), Err(StoreError::Conflict)) => first,
        (Err(StoreError::Conflict), Ok(())) => second,
        results => panic!("exactly one reveal applies: {results:?}"),
    };
    let stored = a.key(&t.id, record.key.id).await.unwrap();
    assert_eq!(stored.secret_hash, Some(won), "the winner's hash, and only it");
    assert_eq!(stored.masked.as_deref(), Some("kg_live_…abcd"));
    assert_eq!(stored.key, revealed.key, "the state moved with the hash");

    // A reveal at the current version of a key that has a secret is refused too: a secret is never replaced.
    let mut again = revealed.key.clone();
    again.version += 1;
    let replace = KeyChange {
        write: KeyWrite::Reveal {
            expected_version: revealed.key.version,
            key: again,
            secret_hash: fresh_hash(),
            masked: "kg_live_…wxyz".to_owned(),
        },
        audit: update(&approved.key, &revealed, &maker()).audit,
    };
    assert!(matches!(b.commit(&[replace]).await, Err(StoreError::Conflict)), "a drawn secret stays");
    assert_eq!(a.key(&t.id, record.key.id).await.unwrap(), stored, "nothing changed");
}
