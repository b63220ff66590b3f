//! The request log on PostgreSQL: a batch of lines in one binary `COPY` (the multi-row insert when it
//! holds a line already stored), a tenant's (or a key's) lines newest first, and the prune of lines
//! past retention in bounded batches.
//!
//! It must never write part of a batch (one statement), never fail a batch retried after an ambiguous
//! error (a line already stored is skipped by its key), and never delete a line at or after the
//! instant it was given. Several processes may prune at once: each locks the rows it deletes and
//! skips those another holds.
//!
//! `COPY` rather than `INSERT … SELECT FROM unnest(…)`: every verification writes a line, and the
//! copy costs the backend about half the CPU per line (no arrays to unnest, no text to parse, no
//! speculative insertion for `ON CONFLICT`) and keygated no string per field. `COPY` cannot skip a
//! conflicting row, so a batch that meets one (only a retry after an ambiguous failure) is written
//! again by the insert, which skips it.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use keygate_domain::{AccountId, Currency, Environment, KeyId, RequestId, Scope, ServiceId, SpendId, TenantId};
use rust_decimal::Decimal;
use sqlx::postgres::{PgPoolCopyExt, PgRow};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::convert::{from_db, to_db};
use super::failure::{corrupt, fail, violation, Violation};
use super::request_copy;
use super::rows::{get, ip, parsed, parsed_opt};
use crate::error::StoreError;
use crate::model::Page;
use crate::request_log::{valid_outcome, RequestCursor, RequestFilter, RequestLine};

/// One row per line, from one array per column; scopes travel as one space-separated text per line
/// (a scope holds no space) since arrays of arrays must be rectangular.
const INSERT: &str = "INSERT INTO request_log (tenant_id, at, request_id, key_id, environment, account_id, outcome, \
       status, client_ip, required_scopes, amount, currency, spend_id, service_id, latency_us) \
     SELECT u.tenant_id, u.at, u.request_id, u.key_id, u.environment, u.account_id, u.outcome, u.status, \
       u.client_ip::inet, COALESCE(string_to_array(NULLIF(u.scopes, ''), ' '), ARRAY[]::text[]), u.amount, \
       u.currency, u.spend_id, u.service_id, u.latency_us \
     FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
       $8::smallint[], $9::text[], $10::text[], $11::numeric[], $12::text[], $13::text[], $14::text[], $15::bigint[]) \
       AS u(tenant_id, at, request_id, key_id, environment, account_id, outcome, status, client_ip, scopes, amount, \
            currency, spend_id, service_id, latency_us) \
     ON CONFLICT DO NOTHING";

const COLUMNS: &str = "SELECT tenant_id, at, request_id, key_id, environment, account_id, outcome, status, \
       host(client_ip) AS client_ip, required_scopes, amount, currency, spend_id, service_id, latency_us \
     FROM request_log WHERE tenant_id = ";

/// Up to `$2` lines older than `$1`, each tenant's oldest first, none another pruner holds. The
/// tenants are found by a loose scan of the primary key (one probe per tenant, the next `tenant_id`
/// after the last), and each tenant's old lines by its range of that key: no index on `at` alone.
const PRUNE: &str = "WITH RECURSIVE tenants AS ( \
       (SELECT tenant_id FROM request_log ORDER BY tenant_id LIMIT 1) \
       UNION ALL \
       SELECT (SELECT r.tenant_id FROM request_log r WHERE r.tenant_id > t.tenant_id \
               ORDER BY r.tenant_id LIMIT 1) \
       FROM tenants t WHERE t.tenant_id IS NOT NULL) \
     DELETE FROM request_log WHERE ctid = ANY(ARRAY( \
       SELECT old.ctid FROM tenants t CROSS JOIN LATERAL ( \
         SELECT l.ctid FROM request_log l WHERE l.tenant_id = t.tenant_id AND l.at < $1 \
         ORDER BY l.at LIMIT $2 FOR UPDATE SKIP LOCKED) old \
       LIMIT $2))";

/// Writes a batch in one statement: a `COPY`, or when the batch holds a line already stored, the
/// insert that skips it.
pub(super) async fn record(pool: &PgPool, lines: &[RequestLine]) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let data = request_copy::encode(lines)?;
    match copy(pool, data).await {
        Ok(()) => Ok(()),
        // Only the primary key is unique: the batch is a retry after an ambiguous failure.
        Err(error) if matches!(violation(&error), Some(Violation::Unique(_))) => insert(pool, lines).await,
        Err(error) => Err(fail(error)),
    }
}

/// One `COPY` of `data` (whole or nothing, as any statement).
async fn copy(pool: &PgPool, data: Vec<u8>) -> Result<(), sqlx::Error> {
    let mut copy = pool.copy_in_raw(request_copy::COPY).await?;
    // When sending fails, dropping the copy abandons it (the server is told, and keeps nothing).
    copy.send(data).await?;
    copy.finish().await.map(|_| ())
}

/// Writes a batch in one multi-row insert that skips the lines already stored.
async fn insert(pool: &PgPool, lines: &[RequestLine]) -> Result<(), StoreError> {
    let text = |f: &dyn Fn(&RequestLine) -> String| lines.iter().map(f).collect::<Vec<String>>();
    let optional = |f: &dyn Fn(&RequestLine) -> Option<String>| lines.iter().map(f).collect::<Vec<Option<String>>>();
    let at: Vec<DateTime<Utc>> = lines.iter().map(|l| l.at).collect();
    let status: Vec<i16> = lines.iter().map(|l| i16::try_from(l.status).unwrap_or(i16::MAX)).collect();
    let amount: Vec<Option<Decimal>> = lines.iter().map(|l| l.amount).collect();
    let latency = lines.iter().map(|l| to_db(l.latency_us, "latency_us")).collect::<Result<Vec<i64>, _>>()?;
    let scopes = text(&|l| l.required_scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "));
    sqlx::query(INSERT)
        .bind(text(&|l| l.tenant.as_str().to_owned()))
        .bind(at)
        .bind(text(&|l| l.id.to_string()))
        .bind(text(&|l| l.key.to_string()))
        .bind(text(&|l| l.environment.as_str().to_owned()))
        .bind(optional(&|l| l.account.as_ref().map(|a| a.as_str().to_owned())))
        .bind(text(&|l| l.outcome.to_string()))
        .bind(status)
        .bind(optional(&|l| l.client_ip.map(|ip| ip.to_string())))
        .bind(scopes)
        .bind(amount)
        .bind(optional(&|l| l.currency.map(|c| c.to_string())))
        .bind(optional(&|l| l.spend.map(|s| s.to_string())))
        .bind(optional(&|l| l.service.map(|s| s.to_string())))
        .bind(latency)
        .execute(pool)
        .await
        .map_err(fail)?;
    Ok(())
}

/// A page of a tenant's lines, newest first.
pub(super) async fn page(
    pool: &PgPool,
    tenant: &TenantId,
    filter: &RequestFilter,
    cursor: Option<RequestCursor>,
    limit: u32,
) -> Result<Page<RequestLine, RequestCursor>, StoreError> {
    let limit = limit.max(1);
    let mut query = QueryBuilder::<Postgres>::new(COLUMNS);
    query.push_bind(tenant.as_str());
    if let Some(key) = filter.key {
        query.push(" AND key_id = ").push_bind(key.to_string());
    }
    if let Some(outcome) = &filter.outcome {
        query.push(" AND outcome = ").push_bind(outcome.clone());
    }
    if let Some(from) = filter.from {
        query.push(" AND at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND at < ").push_bind(to);
    }
    if let Some(environment) = filter.environment {
        query.push(" AND environment = ").push_bind(environment.as_str());
    }
    if let Some(account) = &filter.account {
        query.push(" AND account_id = ").push_bind(account.as_str().to_owned());
    }
    if let Some(cursor) = cursor {
        // request_id is COLLATE "C": text order is the ids' byte order, as in the in-memory store.
        query.push(" AND (at, request_id) < (").push_bind(cursor.at);
        query.push(", ").push_bind(cursor.id.to_string()).push(")");
    }
    // One more than asked, to know whether there is a next page.
    query.push(" ORDER BY at DESC, request_id DESC LIMIT ").push_bind(i64::from(limit) + 1);
    let rows = query.build().fetch_all(pool).await.map_err(fail)?;
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > wanted;
    let items = rows.iter().take(wanted).map(line).collect::<Result<Vec<_>, _>>()?;
    let next = if more { items.last().map(RequestCursor::after) } else { None };
    Ok(Page { items, next })
}

/// Deletes up to `batch` lines older than `before`.
pub(super) async fn prune(pool: &PgPool, before: DateTime<Utc>, batch: u32) -> Result<u64, StoreError> {
    let done = sqlx::query(PRUNE).bind(before).bind(i64::from(batch.max(1))).execute(pool).await.map_err(fail)?;
    Ok(done.rows_affected())
}

/// A `request_log` row.
fn line(row: &PgRow) -> Result<RequestLine, StoreError> {
    let outcome: String = get(row, "outcome")?;
    if !valid_outcome(&outcome) {
        return Err(corrupt("outcome", "not an outcome code"));
    }
    let scopes: Vec<String> = get(row, "required_scopes")?;
    let required_scopes = scopes
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| corrupt("required_scopes", e))?;
    let status: i16 = get(row, "status")?;
    Ok(RequestLine {
        id: parsed(row, "request_id", RequestId::parse)?,
        tenant: parsed(row, "tenant_id", TenantId::parse)?,
        key: parsed(row, "key_id", KeyId::parse)?,
        environment: parsed(row, "environment", str::parse::<Environment>)?,
        account: parsed_opt(row, "account_id", AccountId::parse)?,
        at: get(row, "at")?,
        outcome: Cow::Owned(outcome),
        status: u16::try_from(status).map_err(|e| corrupt("status", e))?,
        client_ip: ip(row, "client_ip")?,
        required_scopes,
        amount: get(row, "amount")?,
        currency: parsed_opt(row, "currency", Currency::parse)?,
        spend: parsed_opt(row, "spend_id", SpendId::parse)?,
        service: parsed_opt(row, "service_id", ServiceId::parse)?,
        latency_us: from_db(get(row, "latency_us")?, "latency_us")?,
    })
}
