/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** An asset's kind. */
export type AssetKind =
  /** A program. */
  | 'COMMAND'
  /** An external file Cairn observes. */
  | 'SOURCE'
  /** A DataFusion query. */
  | 'SQL';

/**
 * The one state an asset is drawn with in the lineage graph and the
 * catalog: the first that holds, in this order, of its typed fields.
 */
export type AssetState =
  /**
   * The latest attempt of a partition failed, or an `error` check's
   * latest evaluation failed (`partitionStats.failed > 0` or
   * `failingErrorChecks > 0`).
   */
  | 'FAILED'
  /** `staleStatus: FRESH`, and none of the above. */
  | 'FRESH'
  /**
   * A step is materializing one of its partitions now
   * (`partitionStats.materializing > 0`).
   */
  | 'MATERIALIZING'
  /** `staleStatus: MISSING`. */
  | 'MISSING'
  /** Its freshness policy is violated (`freshness: FAIL`). */
  | 'OVERDUE'
  /** `staleStatus: STALE`. */
  | 'STALE';

/** A backfill to launch or preview. */
export type BackfillInput = {
  /** Only partitions never materialized or whose latest attempt failed. */
  onlyMissingOrFailed?: boolean;
  /** Only partitions missing or stale. */
  onlyStale?: boolean;
  partitions: PartitionSubsetInput;
  /** Selection syntax, as for `assets`. */
  selection: string;
  tags?: Array<TagInput> | null | undefined;
};

/** Backfill statuses, as Dagster's bulk actions. */
export type BackfillStatus =
  /** Canceled. */
  | 'CANCELED'
  /** Cancellation requested. */
  | 'CANCELING'
  /** Its run succeeded. */
  | 'COMPLETED'
  /** Its run failed, or it could not be launched. */
  | 'FAILED'
  /** Stored; its run is launched or running. */
  | 'REQUESTED';

/** Severity of an asset check, as Dagster's `AssetCheckSeverity`. */
export type CheckSeverity =
  /** Failing stops publication. */
  | 'ERROR'
  /** Failing is reported. */
  | 'WARN';

/** What an event records (Dagster's `DagsterEventType` names where it has one). */
export type EventKind =
  | 'ASSET_CHECK_EVALUATION'
  | 'ASSET_MATERIALIZATION'
  | 'ASSET_OBSERVATION'
  | 'ASSET_WIPED'
  | 'BACKFILL_CANCELED'
  | 'BACKFILL_CANCELING'
  | 'BACKFILL_COMPLETED'
  | 'BACKFILL_FAILED'
  | 'BACKFILL_REQUESTED'
  | 'ENGINE_EVENT'
  | 'FRESHNESS_CHANGED'
  | 'LOG'
  | 'RUN_CANCELED'
  | 'RUN_CANCELING'
  | 'RUN_ENQUEUED'
  | 'RUN_FAILURE'
  | 'RUN_START'
  | 'RUN_SUCCESS'
  | 'STEP_CANCELED'
  | 'STEP_FAILURE'
  | 'STEP_SKIPPED'
  | 'STEP_START';

/** Severity of an event. */
export type EventLevel =
  /** Details. */
  | 'DEBUG'
  /** A failure. */
  | 'ERROR'
  /** Progress. */
  | 'INFO'
  /** Something to look at. */
  | 'WARN';

/** Where an executor stands. */
export type ExecutorStatus =
  /**
   * It stopped renewing without saying so (killed, hung, cut off from
   * the store): its lease has passed since its last heartbeat, so its
   * steps are taken over.
   */
  | 'LOST'
  /** Its last heartbeat is within its lease. */
  | 'RUNNING'
  /** It stopped and said so. */
  | 'STOPPED';

/** Freshness states, as Dagster's. */
export type FreshnessStatus =
  /** Past `max_lag`: overdue. */
  | 'FAIL'
  /** Fresh enough. */
  | 'PASS'
  /** Never materialized. */
  | 'UNKNOWN'
  /** Past `warn_lag`. */
  | 'WARN';

/** An inclusive range of partition keys (or times). */
export type KeyRangeInput = {
  end: string;
  start: string;
};

/** The state of one asset partition, as the partition bar shows it. */
export type PartitionState =
  /** Its latest materialization attempt failed (previous data, if any, stays). */
  | 'FAILED'
  /** Materialized and fresh. */
  | 'MATERIALIZED'
  /** A step is materializing it now. */
  | 'MATERIALIZING'
  /** Never materialized. */
  | 'MISSING'
  /** Materialized, but stale. */
  | 'STALE';

/** Which partitions: exactly one of `range`, `keys`, `all`. */
export type PartitionSubsetInput =
  {   /** Every partition (the value must be `true`). */
  all: boolean; keys?: never; range?: never; }
  |  { all?: never;   /** These keys. */
  keys: Array<string>; range?: never; }
  |  { all?: never; keys?: never;   /** Keys (or times) from `start` to `end`, both included. */
  range: KeyRangeInput; };

/** Run statuses, as Dagster's `DagsterRunStatus`. */
export type RunStatus =
  /** Canceled. */
  | 'CANCELED'
  /** Cancellation requested. */
  | 'CANCELING'
  /** Finished with a failed step. */
  | 'FAILURE'
  /** Stored, no step claimed yet. */
  | 'QUEUED'
  /** A step was claimed. */
  | 'STARTED'
  /** Finished without failures. */
  | 'SUCCESS';

/** Dagster's stale status of an asset. */
export type StaleStatus =
  /** Materialized, nothing it depends on changed. */
  | 'FRESH'
  /** Never materialized (some partitions, for a partitioned asset). */
  | 'MISSING'
  /** Materialized, with causes. */
  | 'STALE';

/** Step statuses. */
export type StepStatus =
  /** Stopped by a cancellation. */
  | 'CANCELED'
  /** Failed. */
  | 'FAILED'
  /** Data published and recorded. */
  | 'MATERIALIZED'
  /** Waiting. */
  | 'QUEUED'
  /** An executor holds its lease. */
  | 'RUNNING'
  /** Not executed (see its skip reason). */
  | 'SKIPPED';

/** A tag. */
export type TagInput = {
  key: string;
  value: string;
};

export type PartitionLatestQueryVariables = Exact<{
  key: string;
  partition: string;
}>;


export type PartitionLatestQuery = { asset: { key: string, materializations: { nodes: Array<{ id: string, runId: string, materializedAt: string }> } } };

export type AssetFailuresQueryVariables = Exact<{
  key: string;
  first: number;
}>;


export type AssetFailuresQuery = { runs: { nodes: Array<{ id: string, status: RunStatus, steps: { nodes: Array<{ id: string, asset: string, partition: string | null, status: StepStatus, error: string | null, startedAt: string | null, finishedAt: string | null }> } }>, pageInfo: { hasNextPage: boolean } } };

export type AssetNeighboursQueryVariables = Exact<{
  key: string;
}>;


export type AssetNeighboursQuery = { asset: { key: string, dependencyKeys: Array<string>, dependedByKeys: Array<string> }, lineage: { nodes: Array<{ key: string, kind: AssetKind, state: AssetState }> } };

export type LineageQueryVariables = Exact<{
  selection?: string | null | undefined;
  depth: number;
}>;


export type LineageQuery = { lineage: { nodes: Array<{ key: string, kind: AssetKind, group: string, staleStatus: StaleStatus, state: AssetState, freshness: FreshnessStatus | null, failingErrorChecks: number, failingWarnChecks: number, partitionStats: { total: number, materialized: number, stale: number, failed: number, materializing: number, missing: number } | null }>, edges: Array<{ from: string, to: string }> } };

export type DefinitionsQueryVariables = Exact<{ [key: string]: never; }>;


export type DefinitionsQuery = { definitions: { project: string, loadedAt: string, assetCount: number, diagnostics: Array<{ severity: string, message: string, file: string | null, line: number | null, column: number | null, help: string | null, rendered: string }> } };

export type AssetCountQueryVariables = Exact<{ [key: string]: never; }>;


export type AssetCountQuery = { definitions: { assetCount: number } };

export type AssetQueryVariables = Exact<{
  key: string;
}>;


export type AssetQuery = { asset: { key: string, group: string, kind: AssetKind, description: string | null, codeVersion: string, staleStatus: StaleStatus, dependencyKeys: Array<string>, dependedByKeys: Array<string>, tags: Array<{ key: string, value: string }>, definition: { sql: string | null, tables: Array<string> | null, sourcePath: string | null, sourceFormat: string | null, command: Array<string> | null, outputFormat: string | null, timeoutSecs: number | null }, partitionsDefinition: { kind: string, description: string, timezone: string | null, count: number, firstKey: string | null, lastKey: string | null } | null, partitionStats: { total: number, materialized: number, stale: number, failed: number, materializing: number, missing: number } | null, partitionStatuses: Array<{ start: string, end: string, count: number, state: PartitionState }>, staleCauses: Array<{ kind: string, upstream: string | null, partitions: number, text: string }>, freshness: { status: FreshnessStatus, policy: string, lastMaterializedAt: string | null, overdueBySecs: number | null, nextDeadline: string | null, latestPartition: string | null, latestPartitionStatus: FreshnessStatus | null } | null, latestMaterialization: { id: string, materializedAt: string, partition: string | null } | null, checks: Array<{ name: string, severity: CheckSeverity, kind: string, passed: number, failed: number, results: Array<{ partition: string | null, passed: boolean, violations: number, sample: unknown, error: string | null, evaluatedAt: string, runId: string }> }> }, graphState: { nodes: Array<{ key: string, state: AssetState }> } };

export type AssetChecksQueryVariables = Exact<{
  key: string;
}>;


export type AssetChecksQuery = { asset: { key: string, checks: Array<{ name: string, severity: CheckSeverity, passed: number, failed: number }> } };

export type StaticKeysQueryVariables = Exact<{
  key: string;
  first: number;
}>;


export type StaticKeysQuery = { asset: { key: string, partitionsDefinition: { kind: string, keys: Array<string> } | null } };

export type MaterializationsQueryVariables = Exact<{
  key: string;
  partition?: string | null | undefined;
  after?: string | null | undefined;
}>;


export type MaterializationsQuery = { asset: { key: string, materializations: { nodes: Array<{ id: string, runId: string, partition: string | null, dataVersion: string, codeVersion: string, rows: number | null, bytes: number, durationMs: number, materializedAt: string, inputs: Array<{ asset: string, partition: string | null, dataVersion: string }> }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } };

export type SelectionAssetsQueryVariables = Exact<{
  selection?: string | null | undefined;
}>;


export type SelectionAssetsQuery = { assets: Array<{ key: string, partitionsDefinition: { kind: string, description: string, count: number, firstKey: string | null, lastKey: string | null } | null }> };

export type BackfillPreviewQueryVariables = Exact<{
  input: BackfillInput;
}>;


export type BackfillPreviewQuery = { backfillPreview: { total: number, blocked: number, assets: Array<{ asset: string, count: number, reasons: Array<string>, ranges: Array<{ start: string, end: string, count: number }> }> } };

export type BackfillFieldsFragment = { id: string, status: BackfillStatus, selection: string, assets: Array<string>, partitions: string, onlyMissingOrFailed: boolean, onlyStale: boolean, createdAt: string, finishedAt: string | null, retryOf: string | null, blocked: number, error: string | null, counts: { targeted: number, queued: number, inProgress: number, materialized: number, failed: number, skipped: number, upToDate: number, canceled: number } };

export type LaunchBackfillMutationVariables = Exact<{
  input: BackfillInput;
}>;


export type LaunchBackfillMutation = { launchBackfill: { id: string, status: BackfillStatus, selection: string, assets: Array<string>, partitions: string, onlyMissingOrFailed: boolean, onlyStale: boolean, createdAt: string, finishedAt: string | null, retryOf: string | null, blocked: number, error: string | null, counts: { targeted: number, queued: number, inProgress: number, materialized: number, failed: number, skipped: number, upToDate: number, canceled: number } } };

export type BackfillsQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
  status?: Array<BackfillStatus> | BackfillStatus | null | undefined;
  asset?: string | null | undefined;
  createdAfter?: string | null | undefined;
  createdBefore?: string | null | undefined;
}>;


export type BackfillsQuery = { backfills: { nodes: Array<{ id: string, status: BackfillStatus, selection: string, assets: Array<string>, partitions: string, onlyMissingOrFailed: boolean, onlyStale: boolean, createdAt: string, finishedAt: string | null, retryOf: string | null, blocked: number, error: string | null, counts: { targeted: number, queued: number, inProgress: number, materialized: number, failed: number, skipped: number, upToDate: number, canceled: number } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type BackfillDetailFragment = { id: string, status: BackfillStatus, selection: string, assets: Array<string>, partitions: string, onlyMissingOrFailed: boolean, onlyStale: boolean, createdAt: string, finishedAt: string | null, retryOf: string | null, blocked: number, error: string | null, assetProgress: Array<{ asset: string, counts: { targeted: number, queued: number, inProgress: number, materialized: number, failed: number, skipped: number, upToDate: number, canceled: number }, ranges: Array<{ start: string, end: string, count: number, status: StepStatus }> }>, runs: Array<{ id: string, status: RunStatus, createdAt: string, finishedAt: string | null, plannedSteps: number, materializedSteps: number, failedSteps: number, skippedSteps: number, canceledSteps: number }>, counts: { targeted: number, queued: number, inProgress: number, materialized: number, failed: number, skipped: number, upToDate: number, canceled: number } };

export type BackfillQueryVariables = Exact<{
  id: string | number;
}>;


export type BackfillQuery = { backfill: { id: string, status: BackfillStatus, selection: string, assets: Array<string>, partitions: string, onlyMissingOrFailed: boolean, onlyStale: boolean, createdAt: string, finishedAt: string | null, retryOf: string | null, blocked: number, error: string | null, assetProgress: Array<{ asset: string, counts: { targeted: number, queued: number, inProgress: number, materialized: number, failed: number, skipped: number, upToDate: number, canceled: number }, ranges: Array<{ start: string, end: string, count: number, status: StepStatus }> }>, runs: Array<{ id: string, status: RunStatus, createdAt: string, finishedAt: string | null, plannedSteps: number, materializedSteps: number, failedSteps: number, skippedSteps: number, canceledSteps: number }>, counts: { targeted: number, queued: number, inProgress: number, materialized: number, failed: number, skipped: number, upToDate: number, canceled: number } } };

export type BackfillProgressSubscriptionVariables = Exact<{
  id: string | number;
}>;


export type BackfillProgressSubscription = { backfillProgress: { id: string, status: BackfillStatus, selection: string, assets: Array<string>, partitions: string, onlyMissingOrFailed: boolean, onlyStale: boolean, createdAt: string, finishedAt: string | null, retryOf: string | null, blocked: number, error: string | null, assetProgress: Array<{ asset: string, counts: { targeted: number, queued: number, inProgress: number, materialized: number, failed: number, skipped: number, upToDate: number, canceled: number }, ranges: Array<{ start: string, end: string, count: number, status: StepStatus }> }>, runs: Array<{ id: string, status: RunStatus, createdAt: string, finishedAt: string | null, plannedSteps: number, materializedSteps: number, failedSteps: number, skippedSteps: number, canceledSteps: number }>, counts: { targeted: number, queued: number, inProgress: number, materialized: number, failed: number, skipped: number, upToDate: number, canceled: number } } };

export type CancelBackfillMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelBackfillMutation = { cancelBackfill: { changed: boolean, message: string, backfill: { id: string, status: BackfillStatus } } };

export type RetryBackfillMutationVariables = Exact<{
  id: string | number;
}>;


export type RetryBackfillMutation = { retryBackfill: { changed: boolean, message: string, backfill: { id: string, status: BackfillStatus } } };

export type RunFieldsFragment = { id: string, status: RunStatus, origin: string, backfillId: string | null, selection: string, partitionFilter: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, plannedSteps: number, materializedSteps: number, failedSteps: number, skippedSteps: number, canceledSteps: number };

export type RunsQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
  status?: Array<RunStatus> | RunStatus | null | undefined;
  asset?: string | null | undefined;
  origin?: string | null | undefined;
  createdAfter?: string | null | undefined;
  createdBefore?: string | null | undefined;
}>;


export type RunsQuery = { runs: { nodes: Array<{ id: string, status: RunStatus, origin: string, backfillId: string | null, selection: string, partitionFilter: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, plannedSteps: number, materializedSteps: number, failedSteps: number, skippedSteps: number, canceledSteps: number }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type RunQueryVariables = Exact<{
  id: string | number;
}>;


export type RunQuery = { run: { id: string, status: RunStatus, origin: string, backfillId: string | null, selection: string, partitionFilter: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, plannedSteps: number, materializedSteps: number, failedSteps: number, skippedSteps: number, canceledSteps: number, steps: { nodes: Array<{ id: string, position: number, waitsFor: Array<number>, asset: string, partition: string | null, status: StepStatus, reasons: Array<string>, attempt: number, owner: string | null, startedAt: string | null, finishedAt: string | null, skipReason: string | null, error: string | null }> } } };

export type RunLogEventFieldsFragment = { cursor: string, kind: EventKind, level: EventLevel, asset: string | null, partition: string | null, message: string, data: unknown, at: string };

export type RunEventPageQueryVariables = Exact<{
  id: string | number;
  after?: string | null | undefined;
  first: number;
}>;


export type RunEventPageQuery = { run: { events: { nodes: Array<{ cursor: string, kind: EventKind, level: EventLevel, asset: string | null, partition: string | null, message: string, data: unknown, at: string }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } };

export type RunEventsSubscriptionVariables = Exact<{
  runId: string | number;
  after?: string | null | undefined;
}>;


export type RunEventsSubscription = { runEvents: { cursor: string, kind: EventKind, level: EventLevel, asset: string | null, partition: string | null, message: string, data: unknown, at: string } };

export type CancelRunMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelRunMutation = { cancelRun: { changed: boolean, message: string, run: { id: string, status: RunStatus } } };

export type MaterializeMutationVariables = Exact<{
  selection?: string | null | undefined;
  partitions?: PartitionSubsetInput | null | undefined;
}>;


export type MaterializeMutation = { materialize: { id: string, status: RunStatus } };

export type AssetEventsSubscriptionVariables = Exact<{
  selection?: string | null | undefined;
}>;


export type AssetEventsSubscription = { assetEvents: { cursor: string, kind: EventKind, asset: string, partition: string | null, at: string } };

export type ReloadDefinitionsMutationVariables = Exact<{ [key: string]: never; }>;


export type ReloadDefinitionsMutation = { reloadDefinitions: { reloaded: boolean, diagnostics: Array<{ severity: string, message: string, rendered: string }> } };

export type DeploymentQueryVariables = Exact<{
  hours: number;
}>;


export type DeploymentQuery = { deployment: { storeBackend: string, storeUrl: string, serverExecutorConcurrency: number | null, backfillDaemonIntervalMs: number, backfillDaemonLastPassAt: string | null, backfillDaemonError: string | null, backfillDaemonLaunched: number, definitions: { project: string, loadedAt: string, assetCount: number, diagnostics: Array<{ severity: string, message: string, rendered: string }> }, executors: Array<{ id: string, host: string, pid: number, runId: string | null, concurrency: number, leaseMs: number, startedAt: string, heartbeatAt: string, stoppedAt: string | null, status: ExecutorStatus, runningSteps: number }> } };

export type CatalogQueryVariables = Exact<{ [key: string]: never; }>;


export type CatalogQuery = { assets: Array<{ key: string, group: string, kind: AssetKind, staleStatus: StaleStatus, tags: Array<{ key: string, value: string }>, partitionStats: { total: number, materialized: number, stale: number, failed: number, materializing: number, missing: number } | null, latestMaterialization: { id: string, materializedAt: string, partition: string | null, runId: string } | null, freshness: { status: FreshnessStatus } | null, checks: Array<{ name: string, severity: CheckSeverity, passed: number, failed: number }> }>, lineage: { nodes: Array<{ key: string, state: AssetState }> } };

export type PaletteAssetsQueryVariables = Exact<{ [key: string]: never; }>;


export type PaletteAssetsQuery = { assets: Array<{ key: string }> };

export type PaletteRunQueryVariables = Exact<{
  id: string | number;
}>;


export type PaletteRunQuery = { run: { id: string, status: RunStatus, selection: string } };

export type PaletteBackfillQueryVariables = Exact<{
  id: string | number;
}>;


export type PaletteBackfillQuery = { backfill: { id: string, status: BackfillStatus, selection: string } };
