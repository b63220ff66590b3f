//! `POST /v1/leaks`: the shapes of GitHub's secret-scanning partner programme, a report of tokens
//! found and the label of each.
//!
//! Neither type is `Debug`: both hold tokens in clear. An answer never holds a token it was not sent:
//! `token_raw` is the received string itself.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::LeakLabelView;

/// The most tokens one report may hold; a report with more is 413 `TOO_MANY_TOKENS`.
pub const MAX_TOKENS: usize = 1000;

/// One token found. Members the partner adds later are ignored; only `token` is required.
#[derive(Deserialize, ToSchema)]
#[schema(examples(json!({
    "token": "kg_live_1Ky9Pf34qY6Nb3wWD25RQ4F9sKq0WcFh3LrT2mVn8pXe5YbGd1Zu7NoAj6IiE4tRl0Ff2H",
    "type": "keygate_api_key", "url": "https://github.com/octo/app/blob/1a2b3c/config.yml#L3", "source": "content"
})))]
pub struct LeakEntry {
    /// The token as found: any string (one that is not a keygate key is a false positive).
    pub token: String,
    /// The token type the scanner matched, as registered with it; echoed as `token_type`.
    #[serde(rename = "type", default)]
    #[schema(rename = "type")]
    pub token_type: String,
    /// Where it was found. The same key reported at the same url again is answered and changes
    /// nothing; kept to 2,048 bytes.
    #[serde(default)]
    pub url: String,
    /// What kind of place that is (`content`, `commit`, `pull_request_comment`, ...); kept to 256 bytes.
    #[serde(default)]
    pub source: String,
}

/// The label of one token, in the order the report listed them.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({
    "token_raw": "kg_live_1Ky9Pf34qY6Nb3wWD25RQ4F9sKq0WcFh3LrT2mVn8pXe5YbGd1Zu7NoAj6IiE4tRl0Ff2H",
    "token_type": "keygate_api_key", "label": "true_positive"
})))]
pub struct LeakAnswer<'a> {
    /// The token exactly as received.
    pub token_raw: &'a str,
    /// The `type` exactly as received.
    pub token_type: &'a str,
    /// `true_positive`: a live key (active, suspended or awaiting its revocation), now acted on by its
    /// tenant's `on_leak`; `false_positive`: anything else.
    #[schema(value_type = LeakLabelView)]
    pub label: &'static str,
}
