//! The RFC 9457 problem body every error answers, as the document describes it. The server builds it
//! with `keygate_verifier::actix::Problem`; this type exists for the schema only.

use utoipa::ToSchema;

/// RFC 9457 problem details with a stable `code`.
// Never built: the server renders problems with `Problem`; this type only describes them.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Problem, examples(json!({
    "type": "about:blank", "title": "Forbidden", "status": 403, "code": "SELF_APPROVAL",
    "detail": "a request cannot be approved or rejected by the operator who made it"
})))]
pub struct ProblemView {
    /// Always `about:blank`: `status` and `code` say it all.
    #[schema(rename = "type")]
    kind: String,
    /// The status's reason phrase.
    title: String,
    /// The HTTP status, repeated.
    status: u16,
    /// What went wrong, for a person; never internal error text.
    detail: String,
    /// Stable code to act on; each route lists the codes it can answer.
    code: String,
    /// For `INVALID_REQUEST`: the offending field (JSON path or query parameter).
    #[schema(nullable = false)]
    field: Option<String>,
}
