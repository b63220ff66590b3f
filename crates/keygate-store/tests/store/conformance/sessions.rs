//! Console sessions: one opened by a handle is read, touched and ended by the other (two processes),
//! an id is never opened twice, `last_seen_at` never goes back, and a prune forgets only sessions past
//! one of their timeouts.

use chrono::Duration;
use keygate_store::{ConsoleSession, SessionHash, StoreError};

use super::Store;
use crate::fixtures::*;

fn session(n: u8, operator: Option<u8>, opened: chrono::DateTime<chrono::Utc>) -> ConsoleSession {
    ConsoleSession {
        id: SessionHash([n; 32]),
        operator: operator.map(operator_id),
        credential: [n.wrapping_add(100); 32],
        created_at: opened,
        last_seen_at: opened,
    }
}

pub async fn console_sessions_are_shared_touched_ended_and_pruned(a: Store, b: Store) {
    let op = session(1, Some(7), now());
    let admin = session(2, None, now());
    a.open_session(&op).await.unwrap();
    a.open_session(&admin).await.unwrap();
    assert!(matches!(b.open_session(&op).await, Err(StoreError::AlreadyExists)), "an id opens once");
    assert_eq!(b.session(&op.id).await.unwrap(), Some(op.clone()), "every field, from the other process");
    assert_eq!(b.session(&admin.id).await.unwrap(), Some(admin.clone()), "the system admin's has no operator");
    assert_eq!(b.session(&SessionHash([9; 32])).await.unwrap(), None, "an unknown id opens nothing");

    b.touch_session(&op.id, now() + Duration::minutes(5)).await.unwrap();
    a.touch_session(&op.id, now() + Duration::minutes(2)).await.unwrap();
    let seen = a.session(&op.id).await.unwrap().unwrap().last_seen_at;
    assert_eq!(seen, now() + Duration::minutes(5), "a late, older touch does not move it back");

    assert!(b.end_session(&admin.id).await.unwrap(), "ended");
    assert_eq!(a.session(&admin.id).await.unwrap(), None, "ended for every process");
    assert!(!a.end_session(&admin.id).await.unwrap(), "ending twice ends nothing more");

    let old = session(3, Some(8), now() - Duration::hours(13));
    let idle = session(4, Some(8), now() - Duration::minutes(40));
    a.open_session(&old).await.unwrap();
    a.open_session(&idle).await.unwrap();
    b.touch_session(&old.id, now()).await.unwrap();
    let pruned = b.prune_sessions(now() - Duration::hours(12), now() - Duration::minutes(30)).await.unwrap();
    assert_eq!(pruned, 2, "past the absolute timeout however recently used, and idle too long");
    assert_eq!(a.session(&op.id).await.unwrap().map(|s| s.id), Some(op.id), "a live one stays");
    assert_eq!(a.session(&old.id).await.unwrap(), None);
    assert_eq!(a.session(&idle.id).await.unwrap(), None);
}
