//! What can go wrong, each kind with its exit code: 1 when the server refused (a 4xx problem, a
//! verdict that is not valid), 2 for a usage or local configuration error, 3 when the server could
//! not be reached or was unavailable. A problem renders as the one line `403 SELF_APPROVAL: ...`.

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line or the local configuration is wrong; nothing was sent.
    #[error("error: {0}")]
    Usage(String),
    /// The server answered with a problem (4xx).
    #[error("{}", render_problem(*status, code, detail, field.as_deref()))]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The problem's stable `code`.
        code: String,
        /// The problem's `detail`.
        detail: String,
        /// The field the problem is about, when there is one.
        field: Option<String>,
    },
    /// The server answered, but the answer is a "no" (a verdict that is not valid, a broken audit
    /// chain, failed lines of an import); what was printed already says why.
    #[error("{0}")]
    Denied(String),
    /// The server could not be reached, or answered 5xx.
    #[error("{0}")]
    Unavailable(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused { .. } | Self::Denied(_) => 1,
            Self::Usage(_) => 2,
            Self::Unavailable(_) => 3,
        }
    }

    /// A usage error from anything displayable.
    pub(crate) fn usage(message: impl std::fmt::Display) -> Self {
        Self::Usage(message.to_string())
    }
}

fn render_problem(status: u16, code: &str, detail: &str, field: Option<&str>) -> String {
    match field {
        Some(field) => format!("{status} {code}: {detail} (field: {field})"),
        None => format!("{status} {code}: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::CliError;

    #[test]
    fn a_problem_is_one_line_with_its_field_and_each_kind_has_its_exit_code() {
        let refused = |field: Option<&str>| CliError::Refused {
            status: 403,
            code: "SELF_APPROVAL".into(),
            detail: "a request cannot be approved by the operator who made it".into(),
            field: field.map(str::to_owned),
        };
        assert_eq!(
            refused(None).to_string(),
            "403 SELF_APPROVAL: a request cannot be approved by the operator who made it"
        );
        assert_eq!(
            refused(Some("scopes")).to_string(),
            "403 SELF_APPROVAL: a request cannot be approved by the operator who made it (field: scopes)"
        );
        let codes = [
            refused(None).exit_code(),
            CliError::Denied(String::new()).exit_code(),
            CliError::usage("x").exit_code(),
            CliError::Unavailable(String::new()).exit_code(),
        ];
        assert_eq!(codes, [1, 1, 2, 3]);
    }
}
