//! Keys: the all-or-nothing commit of key writes with their audit entries, and the three reads
//! (within a tenant, by id alone for the verifier, and the paginated listing).
//!
//! It must never apply part of a commit: every change of one `commit` call goes in one transaction,
//! and an update whose stored version is not the one the caller read rolls the whole of it back. It
//! enforces no lifecycle rule: it writes the key it is given.

use std::sync::LazyLock;

use keygate_domain::{KeyId, TenantId};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::audit::append;
use super::convert::to_db;
use super::failure::{fail, violation, Violation};
use super::key_params::{key_field_value, KeyParams, KEY_FIELDS};
use super::key_row::{key_columns, key_record};
use super::listen::CHANNEL;
use crate::cursor::KeyCursor;
use crate::error::StoreError;
use crate::model::{KeyChange, KeyFilter, KeyRecord, KeyWrite, Page};

/// Inserts every key field plus the hash and the masked form (the two parameters after the fields), and
/// the signing spec (the three after those), which no update ever changes.
static INSERT_KEY: LazyLock<String> = LazyLock::new(|| {
    let values: Vec<String> = (0..KEY_FIELDS.len()).map(key_field_value).collect();
    let (hash, masked) = (KEY_FIELDS.len() + 1, KEY_FIELDS.len() + 2);
    let (algorithm, public_key, bearer) = (KEY_FIELDS.len() + 3, KEY_FIELDS.len() + 4, KEY_FIELDS.len() + 5);
    format!(
        "INSERT INTO keys ({}, secret_hash, masked, signing_algorithm, signing_public_key, bearer) \
         VALUES ({}, ${hash}, ${masked}, ${algorithm}, ${public_key}, ${bearer})",
        KEY_FIELDS.join(", "),
        values.join(", ")
    )
});

/// Sets every key field if the version is still the parameter after the fields, and notifies other processes of the change
/// (delivered only if the transaction commits). Returns one row if it applied, none otherwise.
static UPDATE_KEY: LazyLock<String> = LazyLock::new(|| update_statement(false));

/// [`UPDATE_KEY`] that also sets the hash and masked form of a secret drawn at its reveal (the two
/// parameters after the expected version), only on a key that has none: one statement, so the row
/// is never seen in the revealed state without its hash.
static REVEAL_KEY: LazyLock<String> = LazyLock::new(|| update_statement(true));

fn update_statement(with_secret: bool) -> String {
    // $1 and $2 (key id, tenant) identify the row; a key never moves to another tenant.
    let mut sets: Vec<String> =
        (2..KEY_FIELDS.len()).map(|i| format!("{} = {}", KEY_FIELDS[i], key_field_value(i))).collect();
    let expected = KEY_FIELDS.len() + 1;
    let mut condition = format!("key_id = $1 AND tenant_id = $2 AND version = ${expected}");
    if with_secret {
        sets.push(format!("secret_hash = ${}, masked = ${}", expected + 1, expected + 2));
        condition.push_str(" AND secret_hash IS NULL");
    }
    format!(
        "WITH updated AS (UPDATE keys SET {} WHERE {condition} RETURNING key_id) \
         SELECT pg_notify('{CHANNEL}', key_id) FROM updated",
        sets.join(", ")
    )
}

/// Applies `changes` and their audit entries in one transaction.
pub(super) async fn commit(pool: &PgPool, changes: &[KeyChange]) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await.map_err(fail)?;
    apply(&mut tx, changes).await?;
    // On any error above, dropping `tx` rolls the whole commit back.
    tx.commit().await.map_err(fail)
}

/// Writes `changes` and their audit entries inside the caller's transaction, which the caller rolls
/// back on any error.
pub(super) async fn apply(conn: &mut PgConnection, changes: &[KeyChange]) -> Result<(), StoreError> {
    for change in changes {
        match &change.write {
            KeyWrite::Insert(record) => insert(conn, record).await?,
            KeyWrite::Update { expected_version, key } => {
                update(conn, &KeyParams::new(key)?, *expected_version, None).await?;
            }
            KeyWrite::Reveal { expected_version, key, secret_hash, masked } => {
                let secret = (&secret_hash.as_bytes()[..], masked.as_str());
                update(conn, &KeyParams::new(key)?, *expected_version, Some(secret)).await?;
            }
        }
        append(conn, &change.audit).await?;
    }
    Ok(())
}

async fn insert(conn: &mut PgConnection, record: &KeyRecord) -> Result<(), StoreError> {
    let params = KeyParams::new(&record.key)?;
    let hash = record.secret_hash.as_ref().map(|h| &h.as_bytes()[..]);
    let signing = record.signing.as_ref();
    let query = params
        .bind(sqlx::query(&INSERT_KEY))
        .bind(hash)
        .bind(&record.masked)
        .bind(signing.map(|s| s.algorithm().as_str()))
        .bind(signing.and_then(|s| s.public_key()).map(|k| k.to_vec()))
        .bind(signing.is_none_or(keygate_domain::Signing::bearer));
    query.execute(&mut *conn).await.map_err(|e| match violation(&e) {
        Some(Violation::Unique("keys_name_unique")) => StoreError::NameTaken,
        Some(Violation::Unique(_)) => StoreError::AlreadyExists,
        Some(Violation::ForeignKey(_)) => StoreError::NotFound,
        None => fail(e),
    })?;
    Ok(())
}

/// The compare-and-set update, with the hash and masked form of a secret drawn at its reveal if given.
async fn update(
    conn: &mut PgConnection,
    params: &KeyParams,
    expected_version: u64,
    secret: Option<(&[u8], &str)>,
) -> Result<(), StoreError> {
    let expected = to_db(expected_version, "expected_version")?;
    let query = match secret {
        None => params.bind(sqlx::query(&UPDATE_KEY)).bind(expected),
        Some((hash, masked)) => params.bind(sqlx::query(&REVEAL_KEY)).bind(expected).bind(hash).bind(masked),
    };
    let applied = query.fetch_optional(&mut *conn).await.map_err(|e| match violation(&e) {
        Some(Violation::Unique("keys_name_unique")) => StoreError::NameTaken,
        _ => fail(e),
    })?;
    if applied.is_some() {
        return Ok(());
    }
    // Nothing matched: either there is no such key or someone else changed it first.
    let exists = sqlx::query("SELECT 1 FROM keys WHERE key_id = $1 AND tenant_id = $2")
        .bind(params.key_id())
        .bind(params.tenant_id())
        .fetch_optional(&mut *conn)
        .await
        .map_err(fail)?;
    Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound })
}

/// A key of a tenant.
pub(super) async fn key(pool: &PgPool, tenant: &TenantId, id: KeyId) -> Result<KeyRecord, StoreError> {
    let row = sqlx::query(concat!("SELECT ", key_columns!(), " FROM keys WHERE tenant_id = $1 AND key_id = $2"))
        .bind(tenant.as_str())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(fail)?;
    row.as_ref().map(key_record).transpose()?.ok_or(StoreError::NotFound)
}

/// A key by id alone.
pub(super) async fn find_key(pool: &PgPool, id: KeyId) -> Result<Option<KeyRecord>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", key_columns!(), " FROM keys WHERE key_id = $1"))
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(fail)?;
    row.as_ref().map(key_record).transpose()
}

/// The keys of `ids` that exist, in one statement, in no particular order.
pub(super) async fn find_keys(pool: &PgPool, ids: &[KeyId]) -> Result<Vec<KeyRecord>, StoreError> {
    let wanted: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let rows = sqlx::query(concat!("SELECT ", key_columns!(), " FROM keys WHERE key_id = ANY($1)"))
        .bind(&wanted)
        .fetch_all(pool)
        .await
        .map_err(fail)?;
    rows.iter().map(key_record).collect()
}

/// A page of a tenant's keys in (`created_at`, id) order.
pub(super) async fn keys(
    pool: &PgPool,
    tenant: &TenantId,
    filter: KeyFilter,
    cursor: Option<KeyCursor>,
    limit: u32,
) -> Result<Page<KeyRecord, KeyCursor>, StoreError> {
    // A page holds at least one item, as in the in-memory store.
    let limit = limit.max(1);
    let mut query = QueryBuilder::<Postgres>::new(concat!("SELECT ", key_columns!(), " FROM keys WHERE tenant_id = "));
    query.push_bind(tenant.as_str());
    if let Some(state) = filter.state {
        query.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(environment) = filter.environment {
        query.push(" AND environment = ").push_bind(environment.as_str());
    }
    if let Some(account) = filter.account {
        query.push(" AND account_id = ").push_bind(account.as_str().to_owned());
    }
    if let Some(external_id) = filter.external_id {
        query.push(" AND external_id = ").push_bind(external_id.as_str().to_owned());
    }
    if let Some((from, until)) = filter.expiring {
        query.push(" AND expires_at > ").push_bind(from).push(" AND expires_at <= ").push_bind(until);
    }
    if let Some(cursor) = cursor {
        // key_id is COLLATE "C", so text order is the ids' byte order, as in the in-memory store.
        query.push(" AND (created_at, key_id) > (").push_bind(cursor.created_at);
        query.push(", ").push_bind(cursor.id.to_string()).push(")");
    }
    // One more than asked, to know whether there is a next page.
    query.push(" ORDER BY created_at, key_id LIMIT ").push_bind(i64::from(limit) + 1);
    let rows = query.build().fetch_all(pool).await.map_err(fail)?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let items = rows
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(key_record)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if more { items.last().map(|r| KeyCursor::after(r.key.created_at, r.key.id)) } else { None };
    Ok(Page { items, next })
}
