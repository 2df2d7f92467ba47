//! Backfills: inputs, progress and previews.

use std::collections::BTreeMap;

use async_graphql::{Enum, ID, InputObject, Object, OneofObject, Result, SimpleObject};
use cairn_engine::backfill::{AssetProgress, BackfillCounts as Counts, BackfillPlan};
use cairn_engine::{BackfillRequest, Instance, PartitionSubset};
use cairn_store::{BackfillId, BackfillRecord, RunFilter, RunOrigin};
use chrono::{DateTime, Utc};

use super::PageInfo;
use super::runs::{Run, StepStatus, Tag};
use crate::error::ApiError;

/// Backfill statuses, as Dagster's bulk actions.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_store::BackfillStatus")]
pub enum BackfillStatus {
    /// Stored; its run is launched or running.
    Requested,
    /// Its run succeeded.
    Completed,
    /// Its run failed, or it could not be launched.
    Failed,
    /// Cancellation requested.
    Canceling,
    /// Canceled.
    Canceled,
}

/// An inclusive range of partition keys (or times).
#[derive(InputObject)]
pub struct KeyRangeInput {
    start: String,
    end: String,
}

/// Which partitions: exactly one of `range`, `keys`, `all`.
#[derive(OneofObject)]
pub enum PartitionSubsetInput {
    /// Keys (or times) from `start` to `end`, both included.
    Range(KeyRangeInput),
    /// These keys.
    Keys(Vec<String>),
    /// Every partition (the value must be `true`).
    All(bool),
}

impl PartitionSubsetInput {
    /// The engine's subset.
    pub fn subset(&self) -> Result<PartitionSubset, ApiError> {
        Ok(match self {
            Self::Range(range) => PartitionSubset::Range { start: range.start.clone(), end: range.end.clone() },
            Self::Keys(keys) if keys.is_empty() => return Err(ApiError::BadInput("`keys` is empty".into())),
            Self::Keys(keys) => PartitionSubset::Keys(keys.clone()),
            Self::All(true) => PartitionSubset::All,
            Self::All(false) => {
                return Err(ApiError::BadInput("`all: false` selects nothing; give `range` or `keys`".into()));
            }
        })
    }
}

/// A tag.
#[derive(InputObject)]
pub struct TagInput {
    key: String,
    value: String,
}

/// A backfill to launch or preview.
#[derive(InputObject)]
pub struct BackfillInput {
    /// Selection syntax, as for `assets`.
    selection: String,
    partitions: PartitionSubsetInput,
    /// Only partitions never materialized or whose latest attempt failed.
    #[graphql(default = false)]
    only_missing_or_failed: bool,
    /// Only partitions missing or stale.
    #[graphql(default = false)]
    only_stale: bool,
    tags: Option<Vec<TagInput>>,
}

impl BackfillInput {
    /// The engine's request.
    pub fn request(&self) -> Result<BackfillRequest, ApiError> {
        Ok(BackfillRequest {
            selection: self.selection.clone(),
            partitions: self.partitions.subset()?,
            only_missing_or_failed: self.only_missing_or_failed,
            only_stale: self.only_stale,
            tags: self
                .tags
                .iter()
                .flatten()
                .map(|tag| (tag.key.clone(), tag.value.clone()))
                .collect::<BTreeMap<_, _>>(),
        })
    }
}

/// A backfill id from the API (`3` or `b-3`).
pub fn backfill_id(id: &ID) -> Result<BackfillId, ApiError> {
    id.parse().map_err(|e: cairn_core::run::RunIdError| ApiError::BadInput(e.to_string()))
}

/// A backfill.
pub struct Backfill {
    pub(super) record: BackfillRecord,
    pub(super) instance: Instance,
}

#[Object(name = "Backfill")]
impl Backfill {
    /// `b-3` (as the CLI writes it; `3` is accepted too).
    async fn id(&self) -> ID {
        self.record.id.to_string().into()
    }

    async fn status(&self) -> BackfillStatus {
        self.record.status.into()
    }

    /// As given.
    async fn selection(&self) -> &str {
        &self.record.selection
    }

    /// The targeted assets.
    async fn assets(&self) -> Vec<String> {
        self.record.target.assets.iter().map(ToString::to_string).collect()
    }

    /// The partitions as given (`2013-01-01..2013-01-07`, `all`).
    async fn partitions(&self) -> &str {
        &self.record.partitions_text
    }

    async fn only_missing_or_failed(&self) -> bool {
        self.record.only_missing_or_failed
    }

    async fn only_stale(&self) -> bool {
        self.record.only_stale
    }

    async fn tags(&self) -> Vec<Tag> {
        self.record.tags.iter().map(|(key, value)| Tag { key: key.clone(), value: value.clone() }).collect()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.record.created_at
    }

    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.record.finished_at
    }

    /// The backfill this one retries.
    async fn retry_of(&self) -> Option<ID> {
        self.record.retry_of.map(|id| id.to_string().into())
    }

    /// Its runs (tagged with its id).
    async fn runs(&self) -> Result<Vec<Run>> {
        let filter = RunFilter { origin: Some(RunOrigin::Backfill(self.record.id.0)), ..RunFilter::default() };
        let store = self.instance.store();
        let runs = store.runs(&filter, 100).await.map_err(ApiError::from)?;
        Ok(runs.into_iter().map(|record| Run { record, store: store.clone() }).collect())
    }

    /// Totals over its assets.
    async fn counts(&self) -> Result<BackfillCounts> {
        Ok(self.instance.backfill_counts(&self.record).await.map_err(ApiError::from)?.into())
    }

    /// Per asset: counts and the targeted partitions as ranges of step statuses.
    async fn asset_progress(&self) -> Result<Vec<BackfillAssetProgress>> {
        let progress = self.instance.backfill_progress(&self.record).await.map_err(ApiError::from)?;
        Ok(progress.assets.into_iter().map(BackfillAssetProgress::from).collect())
    }

    /// Targeted partitions that could not be planned (their upstream data is missing and not in the backfill).
    async fn blocked(&self) -> i64 {
        self.record.blocked
    }

    /// Why it could not be launched.
    async fn error(&self) -> Option<&str> {
        self.record.error.as_deref()
    }
}

/// Step counts of a backfill or of one of its assets.
#[derive(SimpleObject, Clone, Copy, PartialEq, Eq)]
pub struct BackfillCounts {
    targeted: i64,
    queued: i64,
    in_progress: i64,
    materialized: i64,
    failed: i64,
    /// Skipped because an upstream partition failed.
    skipped: i64,
    /// Skipped because already fresh (another run materialized it, or its upstream did not change).
    up_to_date: i64,
    canceled: i64,
}

impl From<Counts> for BackfillCounts {
    fn from(counts: Counts) -> Self {
        Self {
            targeted: counts.targeted as i64,
            queued: counts.queued as i64,
            in_progress: counts.in_progress as i64,
            materialized: counts.materialized as i64,
            failed: counts.failed as i64,
            skipped: counts.skipped as i64,
            up_to_date: counts.up_to_date as i64,
            canceled: counts.canceled as i64,
        }
    }
}

/// One asset of a backfill.
#[derive(SimpleObject)]
pub struct BackfillAssetProgress {
    asset: String,
    counts: BackfillCounts,
    /// Its targeted partitions in key order, as ranges sharing a step status.
    ranges: Vec<StepStateRange>,
}

impl From<AssetProgress> for BackfillAssetProgress {
    fn from(progress: AssetProgress) -> Self {
        Self {
            asset: progress.asset.to_string(),
            counts: progress.counts.into(),
            ranges: progress
                .ranges
                .into_iter()
                .map(|(range, status, count)| StepStateRange {
                    start: range.start.to_string(),
                    end: range.end.to_string(),
                    count: count as i64,
                    status: status.into(),
                })
                .collect(),
        }
    }
}

/// Consecutive targeted partitions sharing a step status.
#[derive(SimpleObject)]
pub struct StepStateRange {
    start: String,
    end: String,
    count: i64,
    status: StepStatus,
}

/// A page of backfills.
#[derive(SimpleObject)]
pub struct BackfillConnection {
    pub(super) nodes: Vec<Backfill>,
    pub(super) page_info: PageInfo,
}

/// What a backfill would materialize.
#[derive(SimpleObject)]
pub struct BackfillPreview {
    /// Asset partitions to materialize.
    total: i64,
    /// Per asset, in the order they run.
    assets: Vec<BackfillPreviewAsset>,
    /// Targeted partitions that cannot be planned.
    blocked: i64,
}

impl From<BackfillPlan> for BackfillPreview {
    fn from(plan: BackfillPlan) -> Self {
        Self {
            total: plan.total as i64,
            blocked: plan.blocked as i64,
            assets: plan
                .assets
                .into_iter()
                .map(|asset| BackfillPreviewAsset {
                    asset: asset.asset.to_string(),
                    count: asset.count as i64,
                    ranges: asset
                        .ranges
                        .into_iter()
                        .map(|(range, count)| KeyRange {
                            start: range.start.to_string(),
                            end: range.end.to_string(),
                            count: count as i64,
                        })
                        .collect(),
                    reasons: asset.reasons.into_iter().map(str::to_owned).collect(),
                })
                .collect(),
        }
    }
}

/// One asset of a preview.
#[derive(SimpleObject)]
pub struct BackfillPreviewAsset {
    asset: String,
    count: i64,
    ranges: Vec<KeyRange>,
    /// Distinct reasons (`missing`, `requested`, `code_version_changed`...).
    reasons: Vec<String>,
}

/// An inclusive range of partition keys.
#[derive(SimpleObject)]
pub struct KeyRange {
    start: String,
    end: String,
    count: i64,
}

/// What a state change of a backfill did.
#[derive(SimpleObject)]
pub struct BackfillTransition {
    pub(super) backfill: Backfill,
    /// Whether anything changed.
    pub(super) changed: bool,
    /// For people.
    pub(super) message: String,
}
