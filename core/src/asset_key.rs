//! Asset keys: the names of assets.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Maximum number of `/`-separated segments in an asset key.
///
/// SQL assets refer to other assets as tables, and DataFusion table references
/// have at most three parts (`catalog.schema.table`), so a key has at most
/// three segments.
pub const MAX_ASSET_KEY_SEGMENTS: usize = 3;

/// Maximum length of one segment of an asset key, in bytes (segments are
/// ASCII, so also in characters).
///
/// Each segment becomes a folder name under the data folder
/// (`.cairn/data/raw/flights/...`), and file systems limit a path component
/// to 255 bytes (`NAME_MAX` on Linux ext4, XFS and btrfs, and on macOS APFS;
/// NTFS allows 255 UTF-16 units). A longer segment would pass validation and
/// then fail at the first materialization with "File name too long".
pub const MAX_ASSET_KEY_SEGMENT_BYTES: usize = 255;

/// The name of an asset: one to three segments separated by `/`
/// (`raw/flights`, `flights_daily`).
///
/// Each segment is made of ASCII letters, digits and `_` and does not start
/// with a digit, so a key is also a valid SQL table reference (`raw.flights`)
/// and a safe relative path (`raw/flights`). Cheap to clone (one `Arc`).
///
/// This follows Dagster's `AssetKey` (a path of strings), restricted so the
/// key can be used unquoted in SQL and on any file system.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AssetKey(Arc<str>);

/// Why a string is not a valid [`AssetKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetKeyError {
    /// The key is the empty string.
    #[error("asset key is empty")]
    Empty,
    /// A segment between two `/` (or at either end) is empty, as in `a//b`.
    #[error("asset key `{key}` has an empty segment (keys look like `raw/flights`)")]
    EmptySegment {
        /// The rejected key.
        key: String,
    },
    /// A segment is `.` or `..`.
    #[error("asset key `{key}` contains `{segment}`; keys are names, not relative paths")]
    DotSegment {
        /// The rejected key.
        key: String,
        /// The offending segment.
        segment: String,
    },
    /// A character outside `[A-Za-z0-9_/]`.
    #[error("asset key `{key}` contains `{character}`; keys use only letters, digits, `_` and `/`")]
    InvalidCharacter {
        /// The rejected key.
        key: String,
        /// The first offending character.
        character: char,
    },
    /// A segment starts with a digit, so it could not be used as a SQL name.
    #[error("asset key `{key}`: segment `{segment}` starts with a digit")]
    LeadingDigit {
        /// The rejected key.
        key: String,
        /// The offending segment.
        segment: String,
    },
    /// A segment longer than [`MAX_ASSET_KEY_SEGMENT_BYTES`]. The key is
    /// shown shortened: it may be thousands of characters long.
    #[error(
        "asset key `{shown}` has a segment of {length} characters; at most {MAX_ASSET_KEY_SEGMENT_BYTES} are allowed, because each segment becomes a folder name"
    )]
    SegmentTooLong {
        /// The start of the rejected key, ending in `...` when cut.
        shown: String,
        /// Length of the longest segment, in bytes.
        length: usize,
    },
    /// More than [`MAX_ASSET_KEY_SEGMENTS`] segments.
    #[error("asset key `{key}` has {count} segments; at most 3 are allowed (`catalog/schema/table`)")]
    TooManySegments {
        /// The rejected key.
        key: String,
        /// How many segments it has.
        count: usize,
    },
}

impl AssetKey {
    /// Parses and validates a key such as `raw/flights`.
    ///
    /// # Errors
    /// [`AssetKeyError`] when the key is empty, has an empty, `.` or `..`
    /// segment, a character outside `[A-Za-z0-9_/]`, a segment starting with a
    /// digit, a segment longer than [`MAX_ASSET_KEY_SEGMENT_BYTES`], or more
    /// than [`MAX_ASSET_KEY_SEGMENTS`] segments.
    pub fn new(key: &str) -> Result<Self, AssetKeyError> {
        if key.is_empty() {
            return Err(AssetKeyError::Empty);
        }
        let mut count = 0;
        for segment in key.split('/') {
            count += 1;
            if segment.is_empty() {
                return Err(AssetKeyError::EmptySegment { key: key.to_owned() });
            }
            if segment == "." || segment == ".." {
                return Err(AssetKeyError::DotSegment { key: key.to_owned(), segment: segment.to_owned() });
            }
            if let Some(character) = segment.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
                return Err(AssetKeyError::InvalidCharacter { key: key.to_owned(), character });
            }
            if segment.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(AssetKeyError::LeadingDigit { key: key.to_owned(), segment: segment.to_owned() });
            }
        }
        if count > MAX_ASSET_KEY_SEGMENTS {
            return Err(AssetKeyError::TooManySegments { key: key.to_owned(), count });
        }
        if let Some(length) = key.split('/').map(str::len).filter(|&n| n > MAX_ASSET_KEY_SEGMENT_BYTES).max() {
            return Err(AssetKeyError::SegmentTooLong { shown: shortened(key), length });
        }
        Ok(Self(Arc::from(key)))
    }

    /// The key as written, segments joined by `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `/`-separated segments, in order (one to three of them).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The key as a SQL table reference: segments joined by `.`
    /// (`raw/flights` is the table `raw.flights`).
    pub fn to_table_name(&self) -> String {
        self.0.replace('/', ".")
    }
}

/// The first 40 characters of a (valid-charactered, so ASCII) key, with
/// `...` when cut, for error messages.
fn shortened(key: &str) -> String {
    const SHOWN: usize = 40;
    match key.get(..SHOWN) {
        Some(start) if key.len() > SHOWN => format!("{start}..."),
        _ => key.to_owned(),
    }
}

impl fmt::Display for AssetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AssetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AssetKey({})", self.0)
    }
}

impl std::str::FromStr for AssetKey {
    type Err = AssetKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl<'de> Deserialize<'de> for AssetKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_paths_of_names() {
        let key = AssetKey::new("raw/flights").unwrap();
        assert_eq!(key.segments().collect::<Vec<_>>(), ["raw", "flights"]);
        assert_eq!(key.to_table_name(), "raw.flights");
        assert_eq!(AssetKey::new("a/b/c").unwrap().as_str(), "a/b/c");
    }

    #[test]
    fn rejects_bad_keys() {
        assert_eq!(AssetKey::new(""), Err(AssetKeyError::Empty));
        assert!(matches!(AssetKey::new("a//b"), Err(AssetKeyError::EmptySegment { .. })));
        assert!(matches!(AssetKey::new("/a"), Err(AssetKeyError::EmptySegment { .. })));
        assert!(matches!(AssetKey::new("../etc"), Err(AssetKeyError::DotSegment { .. })));
        assert!(matches!(
            AssetKey::new("raw/flights-2013"),
            Err(AssetKeyError::InvalidCharacter { character: '-', .. })
        ));
        assert!(matches!(AssetKey::new("a b"), Err(AssetKeyError::InvalidCharacter { .. })));
        assert!(matches!(AssetKey::new("2013/x"), Err(AssetKeyError::LeadingDigit { .. })));
        assert!(matches!(AssetKey::new("a/b/c/d"), Err(AssetKeyError::TooManySegments { count: 4, .. })));
    }

    #[test]
    fn limits_each_segment_to_what_a_file_system_allows() {
        let longest = "x".repeat(MAX_ASSET_KEY_SEGMENT_BYTES);
        assert!(AssetKey::new(&format!("raw/{longest}")).is_ok());
        let too_long = format!("raw/{longest}y");
        assert_eq!(
            AssetKey::new(&too_long),
            Err(AssetKeyError::SegmentTooLong { shown: format!("raw/{}...", "x".repeat(36)), length: 256 })
        );
        let message = AssetKey::new(&"a".repeat(5_000)).unwrap_err().to_string();
        assert!(message.contains("a segment of 5000 characters; at most 255"), "{message}");
        assert!(message.len() < 200, "the key is shortened: {message}");
    }

    #[test]
    fn error_messages_name_the_key() {
        let message = AssetKey::new("raw/../x").unwrap_err().to_string();
        assert!(message.contains("raw/../x"), "{message}");
    }
}
