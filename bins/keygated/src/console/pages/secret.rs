//! The show-once dialog: a secret (an API key, an invitation, an operator token) shown in the response
//! of the move that made it and never again. The page is `no-store`; the script replaces the address
//! with the key's page, so a reload or a return shows the key, not the secret (without script, a reload
//! re-posts and is refused: the name is taken, the secret already revealed).

use maud::{html, Markup};

/// What is shown, for the dialog's title.
#[derive(Debug, Clone, Copy)]
pub(in crate::console) enum Kind {
    ApiKey,
    SigningSecret,
    Invitation,
    OperatorToken,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Self::ApiKey => "Copy your API key now",
            Self::SigningSecret => "Copy your signing secret now",
            Self::Invitation => "Copy the invitation now",
            Self::OperatorToken => "Copy your operator token now",
        }
    }
}

/// The dialog; `then` is where its button and the replaced address go.
pub(in crate::console) fn dialog(kind: Kind, secret: &str, extra: Option<(&str, &str)>, then: &str) -> Markup {
    html! {
        dialog #show-once open aria-labelledby="show-once-title" aria-describedby="show-once-warning" data-replace-url=(then) {
            h2 #show-once-title { (kind.title()) }
            p #show-once-warning .warning {
                "This is the only time it is shown. keygate keeps only a hash of it and cannot show it again: copy it now and keep it somewhere safe."
            }
            div.secret-box {
                code #secret-value { (secret) }
                button type="button" data-copy="secret-value" { "Copy" }
            }
            @if let Some((label, value)) = extra {
                p { (label) }
                div.secret-box {
                    code #secret-value-2 { (value) }
                    button type="button" data-copy="secret-value-2" { "Copy" }
                }
            }
            p { a.button href=(then) { "I have copied it" } }
        }
    }
}
