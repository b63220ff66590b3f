//! Test or live: a key works only in the environment it was made for.

use std::fmt;
use std::str::FromStr;

/// The environment a key belongs to and a service runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Environment {
    /// Sandbox traffic: no real money moves.
    Test,
    /// Production traffic.
    Live,
}

/// The text was neither `test` nor `live`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment must be `test` or `live`")]
pub struct ParseEnvironmentError;

impl Environment {
    /// Both environments.
    pub const ALL: [Self; 2] = [Self::Test, Self::Live];

    /// The lower-case name used in tokens, URLs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Live => "live",
        }
    }
}

impl FromStr for Environment {
    type Err = ParseEnvironmentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "test" => Ok(Self::Test),
            "live" => Ok(Self::Live),
            _ => Err(ParseEnvironmentError),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
