//! The handlers, and the request and response shapes they speak. Each runs only after `RequireScope`
//! allowed the request, and receives the verified key as a [`VerifiedKey`]. A money-moving handler
//! charges the key before touching the wallet and releases the charge if the wallet refuses, so a
//! failed operation never uses up the key's daily volume. It never echoes a token or internal error text.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use keygate_domain::{Amount, Currency};
use keygate_policy::Money;
use keygate_verifier::actix::{Keygate, Problem, VerifiedKey};
use serde::{Deserialize, Serialize};

use crate::wallet::{Kind, Transaction, Wallet, WalletError};

#[derive(Serialize)]
struct BalanceResponse {
    balance: String,
}

#[derive(Serialize)]
struct TransactionResponse {
    id: u64,
    #[serde(rename = "type")]
    kind: &'static str,
    amount: String,
    currency: String,
    balance_after: String,
    at: String,
}

impl From<&Transaction> for TransactionResponse {
    fn from(t: &Transaction) -> Self {
        Self {
            id: t.id,
            kind: t.kind.as_str(),
            amount: t.amount.to_string(),
            currency: t.currency.to_string(),
            balance_after: t.balance_after.to_string(),
            at: t.at.to_rfc3339(),
        }
    }
}

#[derive(Serialize)]
struct TransactionsResponse {
    items: Vec<TransactionResponse>,
}

#[derive(Serialize)]
struct OperationResponse {
    transaction: TransactionResponse,
    balance: String,
    /// What the key may still move today, when it has a daily volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    remaining_daily_volume: Option<String>,
}

/// `{"amount": "250.00", "currency": "XOF"}`: amounts are strings, so no float ever carries money.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperationRequest {
    amount: String,
    currency: String,
}

/// Why a body is not an operation: a 400 naming the field when there is one.
struct BadBody {
    field: Option<&'static str>,
    detail: &'static str,
}

impl TryFrom<OperationRequest> for Money {
    type Error = BadBody;

    fn try_from(request: OperationRequest) -> Result<Self, BadBody> {
        let amount = Amount::parse(&request.amount).map_err(|_| BadBody {
            field: Some("amount"),
            detail: "amount must be a positive decimal string such as \"250.00\"",
        })?;
        let currency = Currency::parse(&request.currency).map_err(|_| BadBody {
            field: Some("currency"),
            detail: "currency must be 2 to 10 upper-case letters or digits such as \"XOF\"",
        })?;
        Ok(Self { amount, currency: Some(currency) })
    }
}

fn parse_operation(body: &[u8]) -> Result<Money, BadBody> {
    let request: OperationRequest = serde_json::from_slice(body).map_err(|_| BadBody {
        field: None,
        detail: "the body must be JSON: {\"amount\": \"250.00\", \"currency\": \"XOF\"}",
    })?;
    Money::try_from(request)
}

fn bad_request(bad: &BadBody) -> HttpResponse {
    let problem = Problem::new(StatusCode::BAD_REQUEST, "INVALID_BODY", bad.detail);
    match bad.field {
        Some(field) => problem.with("field", field).response(),
        None => problem.response(),
    }
}

fn refused(error: &WalletError) -> HttpResponse {
    match error {
        WalletError::InsufficientFunds => {
            Problem::new(StatusCode::CONFLICT, "INSUFFICIENT_FUNDS", "The balance is too low for this cash-out")
                .response()
        }
        WalletError::CurrencyNotHeld { held } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "CURRENCY_NOT_HELD",
            "The wallet does not hold this currency",
        )
        .with("currency", held.to_string())
        .response(),
    }
}

/// `GET /api/v1/distributors/{id}/balance` (`balance:read`).
pub async fn balance(key: VerifiedKey, wallet: web::Data<Wallet>) -> HttpResponse {
    HttpResponse::Ok().json(BalanceResponse { balance: wallet.balance(&key.tenant).to_string() })
}

/// `GET /api/v1/distributors/{id}/transactions` (`transactions:read`).
pub async fn transactions(key: VerifiedKey, wallet: web::Data<Wallet>) -> HttpResponse {
    let items = wallet.transactions(&key.tenant).iter().map(TransactionResponse::from).collect();
    HttpResponse::Ok().json(TransactionsResponse { items })
}

/// `POST /api/v1/distributors/{id}/cash-in` (`operations:write`).
pub async fn cash_in(
    key: VerifiedKey,
    keygate: web::Data<Keygate>,
    wallet: web::Data<Wallet>,
    body: web::Bytes,
) -> HttpResponse {
    operate(Kind::CashIn, &key, &keygate, &wallet, &body).await
}

/// `POST /api/v1/distributors/{id}/cash-out` (`operations:write`).
pub async fn cash_out(
    key: VerifiedKey,
    keygate: web::Data<Keygate>,
    wallet: web::Data<Wallet>,
    body: web::Bytes,
) -> HttpResponse {
    operate(Kind::CashOut, &key, &keygate, &wallet, &body).await
}

/// Parse, charge the key, apply; give the charge back if the wallet refuses.
async fn operate(kind: Kind, key: &VerifiedKey, keygate: &Keygate, wallet: &Wallet, body: &[u8]) -> HttpResponse {
    let money = match parse_operation(body) {
        Ok(money) => money,
        Err(bad) => return bad_request(&bad),
    };
    let verifier = keygate.verifier();
    let charged = match verifier.charge(key, money).await {
        Ok(charged) => charged,
        Err(error) => return Problem::from(&error).response(),
    };
    match wallet.apply(&key.tenant, kind, money) {
        Ok(transaction) => HttpResponse::Created().json(OperationResponse {
            balance: transaction.balance_after.to_string(),
            transaction: TransactionResponse::from(&transaction),
            remaining_daily_volume: charged.remaining_daily_volume.map(|r| r.to_string()),
        }),
        Err(error) => {
            if let Err(release) = verifier.release(&charged).await {
                tracing::warn!(key_id = %key.key_id, error = %release, "could not give back a failed operation's charge");
            }
            refused(&error)
        }
    }
}
