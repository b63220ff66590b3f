//! A PATCH field that can be absent (leave it), `null` (clear it) or a value (set it).

use serde::{Deserialize, Deserializer};

/// Absent, null or a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Nullable<T> {
    /// Not in the body: leave as is.
    #[default]
    Absent,
    /// `null`: clear.
    Null,
    /// A value: set.
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Self::Null, Self::Value))
    }
}

impl<T> Nullable<T> {
    /// `None` when absent, `Some(None)` when null, `Some(Some(v))` when set, after mapping the value.
    pub fn map_some<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Option<Option<U>>, E> {
        Ok(match self {
            Self::Absent => None,
            Self::Null => Some(None),
            Self::Value(v) => Some(Some(f(v)?)),
        })
    }
}
