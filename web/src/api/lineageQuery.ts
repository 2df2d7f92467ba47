// The lineage query's text, shared by the urql document and the prefetch
// that starts before the main bundle is parsed (src/prefetch.ts).
export const LINEAGE_QUERY = /* GraphQL */ `
  query Lineage($selection: String, $depth: Int!) {
    lineage(selection: $selection, depth: $depth) {
      nodes {
        key
        kind
        group
        staleStatus
        state
        freshness
        failingErrorChecks
        failingWarnChecks
        partitionStats { total materialized stale failed materializing missing }
      }
      edges { from to }
    }
  }
`;
