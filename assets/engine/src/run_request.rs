//! [`RunRequest`]: a run of the missing or stale partitions of a selection,
//! as Dagster's `RunRequest` asks for one. `cairn materialize` and the
//! GraphQL `materialize` mutation each make one [`Instance::request_run`]
//! call: the selection resolved, the state of the selection and its
//! upstream read (never the whole store's), the plan made, and the run
//! stored with its steps.

use std::collections::BTreeMap;

use cairn_core::planner::{Plan, PlanMode};
use cairn_store::{RunId, RunOrigin};

use crate::backfill::PartitionSubset;
use crate::error::EngineError;
use crate::instance::{Instance, Launch, Warning};

/// A run to request.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Selection terms (`+key`, `key+`, `raw/*`); empty: every asset.
    pub selection: Vec<String>,
    /// Which partitions of the selected assets.
    pub partitions: PartitionSubset,
    /// Who asks (recorded with the run).
    pub origin: RunOrigin,
    /// Tags copied to the run.
    pub tags: BTreeMap<String, String>,
    /// What to do when nothing is missing or stale: store no run (`false`,
    /// what `cairn materialize` does: it says "up to date"), or store a run
    /// without steps, which succeeds at once (`true`, what the API does, so
    /// a client always gets a run to follow).
    pub launch_when_up_to_date: bool,
}

/// What [`Instance::request_run`] did.
#[derive(Debug, Clone)]
pub struct RequestedRun {
    /// The plan: the steps stored, and the selected partitions blocked by
    /// missing upstream data.
    pub plan: Plan,
    /// The run stored; `None` when nothing was planned and
    /// [`RunRequest::launch_when_up_to_date`] is `false`.
    pub run: Option<RunId>,
    /// What the state's snapshot warned about (sources that could not be
    /// observed).
    pub warnings: Vec<Warning>,
}

impl Instance {
    /// Plans the missing or stale partitions of `request`'s selection
    /// ([`PlanMode::MissingOrStale`]) from the state of the selection and
    /// its upstream assets ([`Instance::snapshot_of`]), then stores a run of
    /// that plan ([`Instance::launch`]). Nothing executes until an executor
    /// claims its steps.
    ///
    /// # Errors
    /// [`EngineError::Selection`] for a selection that names no asset,
    /// [`EngineError::Plan`] for partitions outside the definitions,
    /// [`EngineError::Store`] if the state cannot be read or the run stored.
    pub async fn request_run(&self, request: &RunRequest) -> Result<RequestedRun, EngineError> {
        let selection = self.select(&request.selection)?;
        let snapshot = self.snapshot_of(&selection).await?;
        let filter = request.partitions.filter();
        let plan = self.plan(&snapshot, selection.clone(), filter.clone(), PlanMode::MissingOrStale)?;
        let warnings = snapshot.warnings();
        if plan.steps.is_empty() && !request.launch_when_up_to_date {
            return Ok(RequestedRun { plan, run: None, warnings });
        }
        let launch = Launch {
            origin: request.origin,
            tags: request.tags.clone(),
            selection_text: request.selection.join(" "),
            partition_text: (request.partitions != PartitionSubset::All).then(|| request.partitions.describe()),
            selection,
            partitions: filter,
            only_stale: true,
        };
        let run = self.launch(&snapshot, &plan, &launch).await?;
        Ok(RequestedRun { plan, run: Some(run), warnings })
    }
}
