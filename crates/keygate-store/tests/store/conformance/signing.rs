//! Signed requests in the store: a key's signing spec reads back from the other handle, and a nonce is
//! accepted once per key while it is live, across both handles at once, and again once it expired.

use chrono::Duration;
use keygate_domain::{Signing, SigningAlgorithm};

use super::Store;
use crate::fixtures::*;

pub async fn a_keys_signing_spec_round_trips(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let specs = [
        Signing::new(SigningAlgorithm::HmacSha256, None, true).unwrap(),
        Signing::new(SigningAlgorithm::Ed25519, Some(&[7; 32]), false).unwrap(),
    ];
    for (n, spec) in specs.into_iter().enumerate() {
        let (mut record, made) = new_key(&t, &format!("signer-{n}"), daily_limit("10"), now());
        record.signing = Some(spec);
        a.commit(&[insert(&record, &made)]).await.unwrap();
        assert_eq!(b.find_key(record.key.id).await.unwrap().as_deref(), Some(&record), "spec {n} reads back whole");
    }
}

pub async fn a_nonce_is_accepted_once_while_live_even_when_raced(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let (record, made) = new_key(&t, "signer", daily_limit("10"), now());
    a.commit(&[insert(&record, &made)]).await.unwrap();
    let (other, made) = new_key(&t, "other", daily_limit("10"), now());
    a.commit(&[insert(&other, &made)]).await.unwrap();
    let (key, until) = (record.key.id, now() + Duration::seconds(300));

    for round in 0..20 {
        let nonce = format!("raced-{round}");
        let (one, two) =
            tokio::join!(a.record_nonce(key, &nonce, now(), until), b.record_nonce(key, &nonce, now(), until));
        let wins = [one.unwrap(), two.unwrap()].iter().filter(|w| **w).count();
        assert_eq!(wins, 1, "round {round}: exactly one of two racing handles records the nonce");
    }
    assert!(!b.record_nonce(key, "raced-0", now() + Duration::seconds(299), until).await.unwrap(), "still live");
    assert!(a.record_nonce(other.key.id, "raced-0", now(), until).await.unwrap(), "another key's nonces are its own");
    let later = until + Duration::seconds(1);
    assert!(b.record_nonce(key, "raced-0", later, later + Duration::seconds(300)).await.unwrap(), "expired: anew");
    assert!(!a.record_nonce(key, "raced-0", later, later + Duration::seconds(300)).await.unwrap(), "then live again");
}
