//! The full token text, as shown to its owner exactly once.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// The whole token as text. Only [`PlainToken::expose`] reveals it; `Debug` shows the masked form.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PlainToken {
    text: String,
    #[zeroize(skip)]
    masked: String,
}

impl PlainToken {
    pub(crate) fn new(text: String, masked: String) -> Self {
        Self { text, masked }
    }

    /// The token text, to hand to its owner once. Never log it.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The masked form (`kg_live_…3fQz`), safe to show anywhere.
    pub fn masked(&self) -> &str {
        &self.masked
    }
}

impl fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlainToken({})", self.masked)
    }
}
