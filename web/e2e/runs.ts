// Runs launched by browser tests through the GraphQL API, waited for to the end.
// @ts-expect-error plain JS module shared with the perf script
import { gql } from './harness.mjs';

/** Launches `materialize(selection, partitions)` and returns its run's id and final status. */
export async function materializeAndWait(url: string, selection: string, partitionKeys: string[] | null = null, timeoutMs = 60_000): Promise<{ id: string; status: string }> {
  const { materialize: run } = await gql(url, 'mutation($s: String, $p: PartitionSubsetInput) { materialize(selection: $s, partitions: $p) { id } }', {
    s: selection,
    p: partitionKeys ? { keys: partitionKeys } : null,
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { run: r } = await gql(url, 'query($id: ID!) { run(id: $id) { status } }', { id: run.id });
    if (!['QUEUED', 'STARTED', 'CANCELING'].includes(r.status)) return { id: run.id, status: r.status };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`run ${run.id} of ${selection} did not finish in ${timeoutMs} ms`);
}
