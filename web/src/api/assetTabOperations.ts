// The asset page's tabs' own operations (the page's main query is AssetDoc
// in operations.ts). `npm run codegen` types them into generated.ts.
import { gql } from '@urql/core';

// Partitions tab: one row's latest materialization (the API has no
// per-partition latest materialization list, so each shown row asks).
export const PartitionLatestDoc = gql`
  query PartitionLatest($key: String!, $partition: String!) {
    asset(key: $key) {
      key
      materializations(partition: $partition, first: 1) {
        nodes { id runId materializedAt }
      }
    }
  }
`;

// Events tab: the asset's failed materializations, from the steps of its
// latest failed or canceled runs (the API has no asset event history).
export const AssetFailuresDoc = gql`
  query AssetFailures($key: String!, $first: Int!) {
    runs(asset: $key, status: [FAILURE, CANCELED], first: $first) {
      nodes {
        id
        status
        steps(first: 1000) {
          nodes { id asset partition status error startedAt finishedAt }
        }
      }
      pageInfo { hasNextPage }
    }
  }
`;

// Lineage tab: the asset's neighbours one step up and down, with the state
// the lineage graph colours them with.
export const AssetNeighboursDoc = gql`
  query AssetNeighbours($key: String!) {
    asset(key: $key) {
      key
      dependencyKeys
      dependedByKeys
    }
    lineage(selection: $key, depth: 1) {
      nodes { key kind state }
    }
  }
`;
