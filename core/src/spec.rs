//! Resolved asset specifications: what the planner knows about an asset.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::partitions::{PartitionMapping, PartitionsDefinition};
use crate::{AssetKey, CodeVersion};

/// How an asset gets its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// An external file Cairn observes but does not compute.
    Source,
    /// A DataFusion SQL query over other assets.
    Sql,
    /// Any program that writes the asset's data to the path Cairn gives it.
    Command,
}

impl AssetKind {
    /// Every kind, in the order of the YAML's documentation.
    pub const ALL: [Self; 3] = [Self::Source, Self::Sql, Self::Command];

    /// `source`, `sql` or `command`, as in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Sql => "sql",
            Self::Command => "command",
        }
    }
}

/// One upstream dependency of an asset, with its partition mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetDep {
    /// The upstream asset.
    pub key: AssetKey,
    /// Which upstream partitions each downstream partition reads.
    pub mapping: PartitionMapping,
}

/// The group of an asset whose YAML names none: the first segment of a
/// key of several (`raw` for `raw/flights`), else `default`, the name of
/// Dagster's group for assets without a `group_name`.
pub fn default_group(key: &AssetKey) -> String {
    let mut segments = key.segments();
    match (segments.next(), segments.next()) {
        (Some(first), Some(_)) => first.to_owned(),
        _ => DEFAULT_GROUP.to_owned(),
    }
}

/// Dagster's name for the group of assets that name none.
pub const DEFAULT_GROUP: &str = "default";

/// An asset whose dependencies are resolved to keys of assets that exist:
/// the input of the asset graph, staleness and the planner. (The loader's
/// wire types still hold names; only resolution produces an `AssetSpec`.)
#[derive(Debug, Clone)]
pub struct AssetSpec {
    /// The asset's key.
    pub key: AssetKey,
    /// Source, SQL or command.
    pub kind: AssetKind,
    /// Free text for people.
    pub description: Option<String>,
    /// The asset's group (Dagster's `group_name`): the YAML's `group`, else
    /// [`default_group`] of the key. Letters, digits and `_`.
    pub group: String,
    /// Labels for people and selections (`tag:team=ops`), as in the YAML's
    /// `tags`; they do not change the code version.
    pub tags: BTreeMap<String, String>,
    /// Upstream assets, each once, in declaration order.
    pub deps: Vec<AssetDep>,
    /// `None` for an unpartitioned asset. Shared, so assets with equal
    /// definitions are cheap to compare and clone.
    pub partitions: Option<Arc<PartitionsDefinition>>,
    /// Hash of the normalized definition.
    pub code_version: CodeVersion,
}

impl AssetSpec {
    /// Whether Cairn materializes this asset (SQL and command assets) rather
    /// than only observing it (sources).
    pub fn is_materializable(&self) -> bool {
        self.kind != AssetKind::Source
    }
}
