//! Code versions and data versions.
//!
//! Both follow Dagster's meaning: the *code version* of an asset names the
//! logic that computes it, the *data version* of a materialization names the
//! data it produced. Cairn derives both as BLAKE3 hashes, written as the
//! first 32 hex digits (128 bits) of the digest.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Number of hex digits kept from a BLAKE3 digest.
const HEX_DIGITS: usize = 32;

fn short_hex(hash: &blake3::Hash) -> Arc<str> {
    let hex = hash.to_hex();
    Arc::from(&hex.as_str()[..HEX_DIGITS])
}

/// The version of an asset's definition: a hash of its normalized definition
/// (SQL text as re-printed by the SQL parser, source settings, command,
/// partitions and checks), so formatting changes do not change it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CodeVersion(Arc<str>);

impl CodeVersion {
    /// Hashes a canonical description of a definition (callers build it so
    /// that equal definitions give equal text).
    pub fn of_canonical(text: &str) -> Self {
        Self(short_hex(&blake3::hash(text.as_bytes())))
    }

    /// Wraps a version read back from the metadata store.
    pub fn from_stored(text: &str) -> Self {
        Self(Arc::from(text))
    }

    /// The version as hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The version of the data in one materialization or observation.
///
/// For tables written by Cairn it is a hash of the schema and of the
/// *multiset* of rows, so the same rows in another order give the same
/// version; for opaque files it is a hash of the bytes; for large source
/// files it may be a hash of size and modification time (see the source
/// asset docs). Equal versions mean downstream assets need no update.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DataVersion(Arc<str>);

impl DataVersion {
    /// The version from a finished hasher.
    pub fn from_hash(hash: &blake3::Hash) -> Self {
        Self(short_hex(hash))
    }

    /// Wraps a version read back from the metadata store.
    pub fn from_stored(text: &str) -> Self {
        Self(Arc::from(text))
    }

    /// The version as hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_as_str {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
        /// The hex text: a set of versions can be searched by `&str`
        /// (equal versions have equal text, and hash as their text).
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    )*};
}
display_as_str!(CodeVersion, DataVersion);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_versions_are_stable_short_hashes() {
        let a = CodeVersion::of_canonical("SELECT 1");
        assert_eq!(a, CodeVersion::of_canonical("SELECT 1"));
        assert_ne!(a, CodeVersion::of_canonical("SELECT 2"));
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
    }
}
