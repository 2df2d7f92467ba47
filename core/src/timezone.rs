//! IANA time zones, as written in YAML (`Europe/Paris`, `UTC`).
//!
//! Time-window partitions ([`crate::partitions::TimeWindowConfig::timezone`])
//! and cron freshness policies ([`crate::freshness`]) read their zone names
//! here, so both accept the same names: the IANA time zone database as
//! chrono-tz knows it, plus `utc`, which Dagster also accepts.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A validated IANA time zone, such as `Europe/Paris` or `UTC`.
///
/// Serializes as its IANA name. The default is `UTC`, as in Dagster, whose
/// schedules and freshness policies default to `"UTC"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timezone(Tz);

/// A time zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone `{name}`: not a name of the IANA time zone database (like `America/New_York` or `UTC`){}",
    suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
)]
pub struct UnknownTimezone {
    /// The name given.
    pub name: String,
    /// The closest IANA name, when one is close (`Europe/Paris` for
    /// `europe/paris` or `Europe/Pari`).
    pub suggestion: Option<&'static str>,
}

impl Timezone {
    /// `UTC`.
    pub const UTC: Self = Self(Tz::UTC);

    /// Reads an IANA name (`Europe/Paris`); `utc` is accepted for `UTC`.
    ///
    /// # Errors
    /// [`UnknownTimezone`], with the closest IANA name when one is close.
    pub fn new(name: &str) -> Result<Self, UnknownTimezone> {
        parse_iana(name)
            .map(Self)
            .ok_or_else(|| UnknownTimezone { name: name.to_owned(), suggestion: closest_name(name) })
    }

    /// The chrono-tz zone.
    pub fn tz(self) -> Tz {
        self.0
    }

    /// The IANA name (`Europe/Paris`).
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Timezone {
    type Err = UnknownTimezone;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl Serialize for Timezone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Timezone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

/// The zone named `name`: an IANA name, or `utc` (Dagster accepts both
/// spellings of UTC).
pub(crate) fn parse_iana(name: &str) -> Option<Tz> {
    match name {
        "UTC" | "utc" => Some(Tz::UTC),
        _ => Tz::from_str(name).ok(),
    }
}

/// The IANA name closest to `wanted`, compared without case: Jaro-Winkler
/// similarity of at least 0.8, or at most one edit per three characters.
fn closest_name(wanted: &str) -> Option<&'static str> {
    let wanted_lower = wanted.to_lowercase();
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| {
            let name = tz.name();
            let lower = name.to_lowercase();
            let close = strsim::levenshtein(&wanted_lower, &lower) * 3 <= wanted.len().max(3);
            (strsim::jaro_winkler(&wanted_lower, &lower), close, name)
        })
        .filter(|(score, close, _)| *score >= 0.8 || *close)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.2.cmp(a.2)))
        .map(|(_, _, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iana_names_and_utc() {
        assert_eq!(Timezone::new("Europe/Paris").unwrap().name(), "Europe/Paris");
        assert_eq!(Timezone::new("utc").unwrap(), Timezone::UTC);
        assert_eq!(Timezone::new("UTC").unwrap(), Timezone::default());
    }

    #[test]
    fn unknown_names_suggest_the_closest_one() {
        let error = Timezone::new("Europe/Pari").unwrap_err();
        assert_eq!(error.suggestion, Some("Europe/Paris"));
        assert_eq!(
            error.to_string(),
            "unknown time zone `Europe/Pari`: not a name of the IANA time zone database \
             (like `America/New_York` or `UTC`); did you mean `Europe/Paris`?"
        );
        assert_eq!(Timezone::new("america/new_york").unwrap_err().suggestion, Some("America/New_York"));
        assert_eq!(Timezone::new("Mars/Olympus_Mons_Base").unwrap_err().suggestion, None);
    }

    #[test]
    fn serializes_as_its_name() {
        let zone = Timezone::new("America/New_York").unwrap();
        assert_eq!(serde_json::to_string(&zone).unwrap(), "\"America/New_York\"");
        assert_eq!(serde_json::from_str::<Timezone>("\"America/New_York\"").unwrap(), zone);
        assert!(serde_json::from_str::<Timezone>("\"Nowhere\"").is_err());
    }
}
