// Every GraphQL operation the UI sends. `npm run codegen` types them into
// generated.ts (names: <Name>Query / <Name>Mutation / <Name>Subscription).
import { gql } from '@urql/core';
import { LINEAGE_QUERY } from './lineageQuery';

export const DefinitionsDoc = gql`
  query Definitions {
    definitions {
      project
      loadedAt
      assetCount
      diagnostics { severity message file line column help rendered }
    }
  }
`;

// Its text lives in lineageQuery.ts: index.html prefetches it before the bundle runs.
export const LineageDoc = gql(LINEAGE_QUERY);

export const AssetCountDoc = gql`
  query AssetCount {
    definitions { assetCount }
  }
`;

export const AssetDoc = gql`
  query Asset($key: String!) {
    asset(key: $key) {
      key
      group
      tags { key value }
      kind
      description
      codeVersion
      staleStatus
      definition { sql tables sourcePath sourceFormat command outputFormat timeoutSecs }
      partitionsDefinition { kind description timezone count firstKey lastKey }
      partitionStats { total materialized stale failed materializing missing }
      partitionStatuses { start end count state }
      staleCauses { kind upstream partitions text }
      freshness { status policy lastMaterializedAt overdueBySecs nextDeadline latestPartition latestPartitionStatus }
      latestMaterialization { id materializedAt partition }
      checks {
        name
        severity
        kind
        passed
        failed
        results { partition passed violations sample error evaluatedAt runId }
      }
      dependencyKeys
      dependedByKeys
    }
    # The state the lineage graph colours the asset with (FAILED for a failed error check).
    graphState: lineage(selection: $key, depth: 0) { nodes { key state } }
  }
`;

// The focused asset's check verdicts on the lineage graph (one asset: the
// lineage nodes carry no check status).
export const AssetChecksDoc = gql`
  query AssetChecks($key: String!) {
    asset(key: $key) {
      key
      checks { name severity passed failed }
    }
  }
`;

export const StaticKeysDoc = gql`
  query StaticKeys($key: String!, $first: Int!) {
    asset(key: $key) {
      key
      partitionsDefinition { kind keys(first: $first) }
    }
  }
`;

export const MaterializationsDoc = gql`
  query Materializations($key: String!, $partition: String, $after: String) {
    asset(key: $key) {
      key
      materializations(partition: $partition, first: 20, after: $after) {
        nodes {
          id
          runId
          partition
          dataVersion
          codeVersion
          rows
          bytes
          durationMs
          materializedAt
          inputs { asset partition dataVersion }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

export const SelectionAssetsDoc = gql`
  query SelectionAssets($selection: String) {
    assets(selection: $selection) {
      key
      partitionsDefinition { kind description count firstKey lastKey }
    }
  }
`;

export const BackfillPreviewDoc = gql`
  query BackfillPreview($input: BackfillInput!) {
    backfillPreview(input: $input) {
      total
      blocked
      assets { asset count reasons ranges { start end count } }
    }
  }
`;

const BackfillFields = gql`
  fragment BackfillFields on Backfill {
    id
    status
    selection
    assets
    partitions
    onlyMissingOrFailed
    onlyStale
    createdAt
    finishedAt
    retryOf
    blocked
    error
    counts { targeted queued inProgress materialized failed skipped upToDate canceled }
  }
`;

export const LaunchBackfillDoc = gql`
  mutation LaunchBackfill($input: BackfillInput!) {
    launchBackfill(input: $input) { ...BackfillFields }
  }
  ${BackfillFields}
`;

export const BackfillsDoc = gql`
  query Backfills($first: Int!, $after: String, $status: [BackfillStatus!], $asset: String, $createdAfter: DateTime, $createdBefore: DateTime) {
    backfills(first: $first, after: $after, status: $status, asset: $asset, createdAfter: $createdAfter, createdBefore: $createdBefore) {
      nodes { ...BackfillFields }
      pageInfo { hasNextPage endCursor }
    }
  }
  ${BackfillFields}
`;

const BackfillDetail = gql`
  fragment BackfillDetail on Backfill {
    ...BackfillFields
    assetProgress {
      asset
      counts { targeted queued inProgress materialized failed skipped upToDate canceled }
      ranges { start end count status }
    }
    runs { id status createdAt finishedAt plannedSteps materializedSteps failedSteps skippedSteps canceledSteps }
  }
  ${BackfillFields}
`;

export const BackfillDoc = gql`
  query Backfill($id: ID!) {
    backfill(id: $id) { ...BackfillDetail }
  }
  ${BackfillDetail}
`;

export const BackfillProgressDoc = gql`
  subscription BackfillProgress($id: ID!) {
    backfillProgress(id: $id) { ...BackfillDetail }
  }
  ${BackfillDetail}
`;

export const CancelBackfillDoc = gql`
  mutation CancelBackfill($id: ID!) {
    cancelBackfill(id: $id) { changed message backfill { id status } }
  }
`;

export const RetryBackfillDoc = gql`
  mutation RetryBackfill($id: ID!) {
    retryBackfill(id: $id) { changed message backfill { id status } }
  }
`;

const RunFields = gql`
  fragment RunFields on Run {
    id
    status
    origin
    backfillId
    selection
    partitionFilter
    createdAt
    startedAt
    finishedAt
    plannedSteps
    materializedSteps
    failedSteps
    skippedSteps
    canceledSteps
  }
`;

export const RunsDoc = gql`
  query Runs($first: Int!, $after: String, $status: [RunStatus!], $asset: String, $origin: String, $createdAfter: DateTime, $createdBefore: DateTime) {
    runs(first: $first, after: $after, status: $status, asset: $asset, origin: $origin, createdAfter: $createdAfter, createdBefore: $createdBefore) {
      nodes { ...RunFields }
      pageInfo { hasNextPage endCursor }
    }
  }
  ${RunFields}
`;

export const RunDoc = gql`
  query Run($id: ID!) {
    run(id: $id) {
      ...RunFields
      steps(first: 1000) {
        nodes { id position waitsFor asset partition status reasons attempt owner startedAt finishedAt skipReason error }
      }
    }
  }
  ${RunFields}
`;

// What the run log holds of an event, from its past pages and from the live stream alike.
const RunLogEventFields = gql`
  fragment RunLogEventFields on Event { cursor kind level asset partition message data at }
`;

// A page of a run's past events (the API gives 1,000 at most), oldest first.
export const RunEventPageDoc = gql`
  query RunEventPage($id: ID!, $after: String, $first: Int!) {
    run(id: $id) {
      events(after: $after, first: $first) {
        nodes { ...RunLogEventFields }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
  ${RunLogEventFields}
`;

export const RunEventsDoc = gql`
  subscription RunEvents($runId: ID!, $after: String) {
    runEvents(runId: $runId, after: $after) { ...RunLogEventFields }
  }
  ${RunLogEventFields}
`;

export const CancelRunDoc = gql`
  mutation CancelRun($id: ID!) {
    cancelRun(id: $id) { changed message run { id status } }
  }
`;

export const MaterializeDoc = gql`
  mutation Materialize($selection: String, $partitions: PartitionSubsetInput) {
    materialize(selection: $selection, partitions: $partitions) { id status }
  }
`;

export const AssetEventsDoc = gql`
  subscription AssetEvents($selection: String) {
    assetEvents(selection: $selection) { cursor kind asset partition at }
  }
`;

export const ReloadDefinitionsDoc = gql`
  mutation ReloadDefinitions {
    reloadDefinitions {
      reloaded
      diagnostics { severity message rendered }
    }
  }
`;

// The deployment page: the store, this server, the definitions and the executors.
export const DeploymentDoc = gql`
  query Deployment($hours: Int!) {
    deployment(hours: $hours) {
      storeBackend
      storeUrl
      serverExecutorConcurrency
      backfillDaemonIntervalMs
      backfillDaemonLastPassAt
      backfillDaemonError
      backfillDaemonLaunched
      definitions {
        project
        loadedAt
        assetCount
        diagnostics { severity message rendered }
      }
      executors { id host pid runId concurrency leaseMs startedAt heartbeatAt stoppedAt status runningSteps }
    }
  }
`;

// The asset catalog: every asset with what it is filtered and sorted by;
// its state is the lineage graph's (FAILED for a failed error check).
export const CatalogDoc = gql`
  query Catalog {
    assets {
      key
      group
      kind
      tags { key value }
      staleStatus
      partitionStats { total materialized stale failed materializing missing }
      latestMaterialization { id materializedAt partition runId }
      freshness { status }
      checks { name severity passed failed }
    }
    lineage(depth: 0) { nodes { key state } }
  }
`;

// The global search (⌘K): every asset's key, and whether a run or a
// backfill with an id exists (each its own query: an unknown id is an error).
export const PaletteAssetsDoc = gql`
  query PaletteAssets {
    assets { key }
  }
`;

export const PaletteRunDoc = gql`
  query PaletteRun($id: ID!) {
    run(id: $id) { id status selection }
  }
`;

export const PaletteBackfillDoc = gql`
  query PaletteBackfill($id: ID!) {
    backfill(id: $id) { id status selection }
  }
`;
