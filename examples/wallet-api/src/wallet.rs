//! The distributors' wallets, kept in memory: a balance in one currency and the operations that moved
//! it. A stand-in for the platform's real ledger; it knows nothing of keys or HTTP and must never let a
//! balance go below zero.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use keygate_domain::{Clock, Currency, TenantId};
use keygate_policy::Money;
use rust_decimal::Decimal;

/// What an operation does to the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Money comes in.
    CashIn,
    /// Money goes out.
    CashOut,
}

impl Kind {
    /// The name clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CashIn => "cash_in",
            Self::CashOut => "cash_out",
        }
    }
}

/// One operation on a wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Its number in the wallet, from 1.
    pub id: u64,
    /// In or out.
    pub kind: Kind,
    /// How much.
    pub amount: Decimal,
    /// In the wallet's currency.
    pub currency: Currency,
    /// The balance after it.
    pub balance_after: Decimal,
    /// When.
    pub at: DateTime<Utc>,
}

/// Why an operation was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// A cash-out larger than the balance.
    #[error("the balance is too low for this cash-out")]
    InsufficientFunds,
    /// An amount in a currency the wallet does not hold (or naming none).
    #[error("the wallet holds {held} only")]
    CurrencyNotHeld {
        /// The wallet's currency.
        held: Currency,
    },
}

#[derive(Debug, Default)]
struct Account {
    balance: Decimal,
    transactions: Vec<Transaction>,
}

/// Every distributor's wallet, in one currency. A distributor without a wallet has a zero balance.
pub struct Wallet {
    currency: Currency,
    clock: Arc<dyn Clock>,
    accounts: Mutex<HashMap<TenantId, Account>>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").field("currency", &self.currency).finish_non_exhaustive()
    }
}

impl Wallet {
    /// Empty wallets in `currency`, stamping operations with `clock`.
    pub fn new(currency: Currency, clock: Arc<dyn Clock>) -> Self {
        Self { currency, clock, accounts: Mutex::new(HashMap::new()) }
    }

    /// Sets a distributor's opening balance.
    pub fn open(&self, tenant: &TenantId, balance: Decimal) {
        self.accounts().entry(tenant.clone()).or_default().balance = balance;
    }

    /// A distributor's balance.
    pub fn balance(&self, tenant: &TenantId) -> Decimal {
        self.accounts().get(tenant).map_or(Decimal::ZERO, |a| a.balance)
    }

    /// A distributor's operations, newest first.
    pub fn transactions(&self, tenant: &TenantId) -> Vec<Transaction> {
        self.accounts().get(tenant).map(|a| a.transactions.iter().rev().cloned().collect()).unwrap_or_default()
    }

    /// Applies an operation, or says why not (then nothing changed).
    pub fn apply(&self, tenant: &TenantId, kind: Kind, money: Money) -> Result<Transaction, WalletError> {
        if money.currency != Some(self.currency) {
            return Err(WalletError::CurrencyNotHeld { held: self.currency });
        }
        let amount = money.amount.value();
        let at = self.clock.now();
        let mut accounts = self.accounts();
        let account = accounts.entry(tenant.clone()).or_default();
        let balance_after = match kind {
            Kind::CashIn => account.balance + amount,
            Kind::CashOut if amount <= account.balance => account.balance - amount,
            Kind::CashOut => return Err(WalletError::InsufficientFunds),
        };
        let id = u64::try_from(account.transactions.len()).unwrap_or(u64::MAX).saturating_add(1);
        let transaction = Transaction { id, kind, amount, currency: self.currency, balance_after, at };
        account.balance = balance_after;
        account.transactions.push(transaction.clone());
        Ok(transaction)
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Account>> {
        // Every change is a single assignment after its checks, so a poisoned lock holds consistent data.
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
