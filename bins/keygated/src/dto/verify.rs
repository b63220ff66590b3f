//! `POST /v1/verify`: keygate's verdict for gateways and services in other languages.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use keygate_domain::{Amount, Currency, Environment, Scope, TenantId};
use keygate_verifier::{Money, RequestContext, Verified, VerifyError};
use serde::{Deserialize, Serialize};

use super::field;
use crate::error::ApiError;

/// The request. Everything but `key` is optional; what is omitted is not checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The presented token.
    pub key: String,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    required_scopes: Vec<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    client_ip: Option<String>,
    #[serde(default)]
    amount: Option<String>,
    #[serde(default)]
    currency: Option<String>,
}

impl TryFrom<&VerifyRequest> for RequestContext {
    type Error = ApiError;
    fn try_from(body: &VerifyRequest) -> Result<Self, ApiError> {
        let required_scopes = body
            .required_scopes
            .iter()
            .enumerate()
            .map(|(i, s)| field(&format!("required_scopes[{i}]"), s, Scope::parse))
            .collect::<Result<Vec<_>, _>>()?;
        let currency = body.currency.as_deref().map(|c| field("currency", c, Currency::parse)).transpose()?;
        let amount = body.amount.as_deref().map(|a| field("amount", a, Amount::parse)).transpose()?;
        if amount.is_none() && currency.is_some() {
            return Err(ApiError::invalid("currency", "is only meaningful with an amount"));
        }
        Ok(Self {
            tenant: body.tenant_id.as_deref().map(|t| field("tenant_id", t, TenantId::parse)).transpose()?,
            required_scopes,
            environment: body
                .environment
                .as_deref()
                .map(|e| field("environment", e, str::parse::<Environment>))
                .transpose()?,
            client_ip: body.client_ip.as_deref().map(|ip| field("client_ip", ip, str::parse::<IpAddr>)).transpose()?,
            amount: amount.map(|amount| Money { amount, currency }),
        })
    }
}

/// The verdict: always 200 (with `valid` false and the code on refusal), except 503 when the store is down.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum VerifyResponse {
    /// Allowed.
    Valid {
        /// Always true.
        valid: bool,
        /// The key.
        key_id: String,
        /// Its tenant.
        tenant_id: String,
        /// Its environment.
        environment: &'static str,
        /// Its scopes.
        scopes: Vec<String>,
        /// Its expiry.
        expires_at: Option<DateTime<Utc>>,
        /// Today's remaining volume after this spend, when an amount was spent.
        remaining_daily_volume: Option<String>,
    },
    /// Refused.
    Invalid {
        /// Always false.
        valid: bool,
        /// The denial code.
        code: &'static str,
        /// The status a service should answer.
        status: u16,
        /// Scopes missing, for `INSUFFICIENT_SCOPE`.
        #[serde(skip_serializing_if = "Option::is_none")]
        missing_scopes: Option<Vec<String>>,
        /// Remaining volume, for `DAILY_VOLUME_EXCEEDED`.
        #[serde(skip_serializing_if = "Option::is_none")]
        remaining_daily_volume: Option<String>,
    },
}

impl From<Verified> for VerifyResponse {
    fn from(v: Verified) -> Self {
        Self::Valid {
            valid: true,
            key_id: v.key_id.to_string(),
            tenant_id: v.tenant.to_string(),
            environment: v.environment.as_str(),
            scopes: v.scopes.iter().map(ToString::to_string).collect(),
            expires_at: v.expires_at,
            remaining_daily_volume: v.remaining_daily_volume.map(|d| d.to_string()),
        }
    }
}

impl VerifyResponse {
    /// The refusal body, or the error for the store being down.
    pub fn refused(error: &VerifyError) -> Result<Self, ApiError> {
        let VerifyError::Denied(denial) = error else { return Err(ApiError::Unavailable) };
        Ok(Self::Invalid {
            valid: false,
            code: denial.code().as_str(),
            status: denial.status(),
            missing_scopes: match denial {
                keygate_policy::Denial::InsufficientScope { missing } => {
                    Some(missing.iter().map(ToString::to_string).collect())
                }
                _ => None,
            },
            remaining_daily_volume: match denial {
                keygate_policy::Denial::DailyVolumeExceeded { remaining } => Some(remaining.to_string()),
                _ => None,
            },
        })
    }
}
