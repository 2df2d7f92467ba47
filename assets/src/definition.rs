//! Resolved asset definitions: everything needed to materialize an asset,
//! with names turned into keys and settings validated.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use cairn_core::check::CheckSeverity;
use cairn_core::{AssetKey, AssetSpec};
use serde::Serialize;

use crate::diagnostic::Location;

/// A resolved asset: the planner's [`AssetSpec`] plus how to produce it.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Key, kind, dependencies, partitions and code version.
    pub spec: AssetSpec,
    /// How the data is obtained.
    pub definition: AssetDefinition,
    /// Checks run on new data before it is published.
    pub checks: Vec<Check>,
    /// Time limit for one materialization.
    pub timeout: Option<Duration>,
    /// How fresh the asset must be (`freshness:`).
    pub freshness: Option<cairn_core::freshness::FreshnessPolicy>,
    /// When Cairn materializes it by itself (`automation:`).
    pub automation: Option<cairn_core::automation::AutomationPolicy>,
    /// Where the asset's `key:` is written.
    pub location: Location,
}

impl Asset {
    /// The asset's key.
    pub fn key(&self) -> &AssetKey {
        &self.spec.key
    }

    /// What a materialization writes: a table format, an opaque file, or
    /// `None` for a source (which is only observed).
    pub fn output(&self) -> Option<OutputFormat> {
        match &self.definition {
            AssetDefinition::Source(_) => None,
            AssetDefinition::Sql(query) => Some(OutputFormat::Table(query.format)),
            AssetDefinition::Command(command) => Some(command.output),
        }
    }
}

impl OutputFormat {
    /// The data file's extension: `parquet`, `csv`, `json`, or the one
    /// given for opaque files.
    pub fn extension(&self) -> &str {
        match self {
            Self::Table(format) => format.extension(),
            Self::File(extension) => extension.as_str(),
        }
    }
}

/// How an asset gets its data.
#[derive(Debug, Clone)]
pub enum AssetDefinition {
    /// An external file Cairn observes.
    Source(SourceDefinition),
    /// A DataFusion query.
    Sql(SqlDefinition),
    /// A program that writes the data.
    Command(CommandDefinition),
}

/// Format of a table file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableFormat {
    /// CSV with a header row (unless `has_header: false`).
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Newline-delimited JSON.
    Json,
}

impl TableFormat {
    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Parquet => "parquet",
            Self::Json => "json",
        }
    }
}

/// An external file or glob.
#[derive(Debug, Clone, Serialize)]
pub struct SourceDefinition {
    /// The path as written (relative to the project folder).
    pub path: String,
    /// The absolute path or glob pattern.
    pub resolved: PathBuf,
    /// Whether `path` contains glob characters.
    pub is_glob: bool,
    /// File format.
    pub format: TableFormat,
    /// CSV field delimiter.
    pub delimiter: u8,
    /// CSV header row.
    pub has_header: bool,
}

/// A SQL query.
#[derive(Debug, Clone, Serialize)]
pub struct SqlDefinition {
    /// The query as written.
    pub text: String,
    /// The query re-printed from its syntax tree (feeds the code version).
    pub normalized: String,
    /// Tables the query reads, as the asset keys they resolve to, with the
    /// table name as written in the query.
    pub tables: BTreeMap<AssetKey, String>,
    /// Partition parameters used (`partition_key`, `partition_start`, `partition_end`).
    pub parameters: BTreeSet<String>,
    /// Format of the materialized table (Parquet unless `output_format` says otherwise).
    pub format: TableFormat,
    /// Where the query text starts in its YAML file.
    #[serde(skip)]
    pub location: Location,
}

/// What a command writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// A table other assets can read from SQL.
    Table(TableFormat),
    /// An opaque file (report, image), versioned by its bytes, stored with
    /// this extension.
    File(FileExtension),
}

/// A data file extension for opaque outputs: 1 to 10 ASCII letters or digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileExtension([u8; 10], u8);

impl Serialize for FileExtension {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl FileExtension {
    /// Validates an extension (without the dot).
    pub fn new(text: &str) -> Option<Self> {
        let valid = (1..=10).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then(|| {
            let mut bytes = [0u8; 10];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Self(bytes, text.len() as u8)
        })
    }

    /// The extension.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0[..usize::from(self.1)]).unwrap_or("bin")
    }
}

/// A program run to produce the asset.
#[derive(Debug, Clone, Serialize)]
pub struct CommandDefinition {
    /// Program and arguments; no shell is involved.
    pub argv: Vec<String>,
    /// What the program writes to `CAIRN_OUTPUT`.
    pub output: OutputFormat,
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
    /// Content hashes (32 hex digits of BLAKE3) of arguments that name
    /// files in the project, such as the script run: part of the code
    /// version, so editing the script makes the asset stale.
    pub script_versions: BTreeMap<String, String>,
}

/// An asset check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Name used in results: the one given, or derived (`not_null(carrier, origin)`).
    pub name: String,
    /// `error` stops publication; `warn` only reports.
    pub severity: CheckSeverity,
    /// What is checked.
    pub kind: CheckKind,
    /// Where the check is declared (the list item in the YAML file).
    #[serde(skip)]
    pub location: Location,
}

/// What a check verifies; the violating rows are what is counted.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// Rows where any of the columns is NULL.
    NotNull {
        /// The columns.
        columns: Vec<String>,
    },
    /// Groups of rows sharing the same values in the columns.
    Unique {
        /// The columns, together.
        columns: Vec<String>,
    },
    /// Rows whose column value is not NULL and not in the list.
    AcceptedValues {
        /// The column.
        column: String,
        /// Allowed values.
        values: Vec<Scalar>,
    },
    /// The whole table, when its row count is outside the bounds.
    RowCount {
        /// Inclusive minimum.
        min: Option<u64>,
        /// Inclusive maximum.
        max: Option<u64>,
    },
    /// Rows returned by the query, which reads the new data under the
    /// asset's table name.
    Sql {
        /// The query.
        query: String,
    },
}

/// A literal in a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    /// Boolean.
    Bool(bool),
    /// 64-bit integer.
    Int(i64),
    /// 64-bit float.
    Float(f64),
    /// Text.
    Text(String),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
            Self::Text(t) => write!(f, "{t}"),
        }
    }
}
