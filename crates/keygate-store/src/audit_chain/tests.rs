//! The chain's format and walk, as sentences.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use keygate_domain::{ActorId, AuditAction, KeyId, OperatorId, Reason, TenantId};

use super::canonical::canonical_bytes;
use super::{chain_hash, stored_instant, AuditChainReport, AuditHash, ChainWalk};
use crate::model::{AuditEntry, AuditKind};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        use std::fmt::Write;
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn entry(seq: u64) -> AuditEntry {
    AuditEntry {
        tenant: TenantId::parse("acme").unwrap(),
        key: Some(KeyId::from_bytes([9; 16])),
        actor: ActorId::Operator(OperatorId::from_bytes([1; 16])),
        action: AuditKind::Key(AuditAction::Approved),
        reason: Some(Reason::parse("ok").unwrap()),
        details: Some(r#"{"a":1}"#.to_owned()),
        at: Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap() + chrono::Duration::microseconds(1),
        seq,
        hash: AuditHash::ZERO,
    }
}

/// A chain of `n` entries, hashed as a store would.
fn chain(n: u64) -> Vec<AuditEntry> {
    let mut previous = AuditHash::ZERO;
    (1..=n)
        .map(|seq| {
            let mut e = entry(seq);
            e.hash = chain_hash(&previous, &e);
            previous = e.hash;
            e
        })
        .collect()
}

fn walk(entries: &[AuditEntry], recorded: Option<(u64, AuditHash)>) -> AuditChainReport {
    let mut walk = ChainWalk::default();
    for e in entries {
        if let Err(seq) = walk.push(e) {
            return AuditChainReport::Broken { first_bad_sequence: seq };
        }
    }
    walk.finish(recorded)
}

/// Entry 7 of the fixture, field by field (re-derived by hand from the format in the module doc).
const GOLDEN: [&str; 9] = [
    "01",               // version
    "0000000461636d65", // tenant "acme"
    "0000000000000007", // seq 7
    "010000001630\
     6d3572726d754e686562306d3572726d754e686562", // key "0m5rrmuNheb0m5rrmuNheb"
    "0000001f6f70657261746f723a30354c4a6c4a443957504230354c4a6c4a443957\
     5042", // actor "operator:05LJ..."
    "0000000c6b65792e617070726f766564", // action "key.approved"
    "01000000026f6b",   // reason "ok"
    "01000000077b2261223a317d", // details {"a":1}
    "000661533d5dc801", // at 2026-11-28T10:00:00.000001Z
];

#[test]
fn the_canonical_bytes_of_an_entry_are_pinned() {
    assert_eq!(hex(&canonical_bytes(&entry(7))), GOLDEN.concat(), "format version 1 must not drift");
    let hash = chain_hash(&AuditHash::ZERO, &entry(7));
    let golden_hash = "721e2fdd863b5216443e731357168691712ec974e4e74d0e672171715603912a";
    assert_eq!(hash.to_string(), golden_hash, "SHA-256 of 32 zero bytes and the canonical bytes");
}

#[test]
fn the_first_hash_chains_from_zero_bytes_and_is_printed_in_hex() {
    let e = entry(1);
    let hash = chain_hash(&AuditHash::ZERO, &e);
    assert_eq!(hash.to_string().len(), 64, "64 hex digits");
    assert_eq!(hash.to_string(), hex(hash.as_bytes()), "Display is lower-case hex");
    assert_ne!(chain_hash(&hash, &e), hash, "the previous hash is part of the input");
}

/// One change to an entry.
type Change = Box<dyn Fn(&mut AuditEntry)>;

#[test]
fn every_field_changes_the_bytes() {
    let base = canonical_bytes(&entry(1));
    let cases: Vec<(&str, Change)> = vec![
        ("tenant", Box::new(|e| e.tenant = TenantId::parse("acmf").unwrap())),
        ("seq", Box::new(|e| e.seq = 2)),
        ("key", Box::new(|e| e.key = None)),
        ("actor", Box::new(|e| e.actor = ActorId::System)),
        ("action", Box::new(|e| e.action = AuditKind::TenantCreated)),
        ("reason", Box::new(|e| e.reason = None)),
        ("details", Box::new(|e| e.details = Some(r#"{"a":2}"#.to_owned()))),
        ("no details", Box::new(|e| e.details = None)),
        ("instant", Box::new(|e| e.at += chrono::Duration::microseconds(1))),
    ];
    for (what, change) in cases {
        let mut e = entry(1);
        change(&mut e);
        assert_ne!(canonical_bytes(&e), base, "changing the {what} changes the canonical bytes");
    }
}

#[test]
fn the_instant_is_hashed_to_the_microsecond_as_stored() {
    let mut e = entry(1);
    let exact = canonical_bytes(&e);
    e.at += chrono::Duration::nanoseconds(999);
    assert_eq!(canonical_bytes(&e), exact, "nanoseconds PostgreSQL would drop are not hashed");
    assert_eq!(stored_instant(e.at), entry(1).at, "stored_instant truncates to microseconds");
}

#[test]
fn walks_tell_an_intact_chain_from_a_changed_one() {
    let intact = chain(4);
    let head = intact[3].hash;
    let mut edited = intact.clone();
    edited[1].reason = None;
    let mut reordered = intact.clone();
    reordered.swap(1, 2);
    let mut gap = intact.clone();
    gap.remove(1);
    let cases = [
        ("an empty log", vec![], Some((0, AuditHash::ZERO)), AuditChainReport::Valid { entries: 0, head: None }),
        ("an intact chain", intact.clone(), Some((4, head)), AuditChainReport::Valid { entries: 4, head: Some(head) }),
        (
            "an intact chain, no head kept",
            intact.clone(),
            None,
            AuditChainReport::Valid { entries: 4, head: Some(head) },
        ),
        ("an edited entry", edited, None, AuditChainReport::Broken { first_bad_sequence: 2 }),
        ("two entries swapped", reordered, None, AuditChainReport::Broken { first_bad_sequence: 3 }),
        ("a deleted entry", gap, None, AuditChainReport::Broken { first_bad_sequence: 3 }),
        ("the tail cut off", intact[..2].to_vec(), Some((4, head)), AuditChainReport::Broken { first_bad_sequence: 3 }),
        (
            "the head rewritten",
            intact.clone(),
            Some((4, AuditHash([1; 32]))),
            AuditChainReport::Broken { first_bad_sequence: 4 },
        ),
    ];
    for (what, entries, recorded, expected) in cases {
        assert_eq!(walk(&entries, recorded), expected, "{what}");
    }
}
