// A materialization's provenance (the input data versions it read) as one
// line per upstream asset, its partitions as ranges: a monthly rollup of a
// daily asset reads `flights_daily [2013-01-01 … 2013-01-31] (31)`, not 31
// lines.
import { addPartitions } from './partitionBar';
import { keyRange } from './words';

export interface ProvenanceInput {
  asset: string;
  partition?: string | null;
  dataVersion: string;
}

export interface PartitionRun {
  start: string;
  end: string;
  count: number;
}

export interface UpstreamProvenance {
  asset: string;
  /** Consecutive partitions read, in order (empty: an unpartitioned upstream). */
  runs: PartitionRun[];
  /** Partitions read (0 for an unpartitioned upstream). */
  partitions: number;
  /** The data versions read, distinct, in order. */
  dataVersions: string[];
}

const TIME_KINDS = ['daily', 'hourly', 'weekly', 'monthly'];

/** Whether `next` is the time partition right after `prev` (daily, hourly, weekly or monthly keys). */
export function isNextPartition(prev: string, next: string): boolean {
  return TIME_KINDS.some((kind) => addPartitions(kind, prev, 1) === next);
}

/** Partition keys as runs of consecutive time partitions (other keys: one run each), sorted. */
export function partitionRuns(keys: readonly string[]): PartitionRun[] {
  const sorted = [...new Set(keys)].sort();
  const runs: PartitionRun[] = [];
  for (const key of sorted) {
    const last = runs[runs.length - 1];
    if (last && isNextPartition(last.end, key)) {
      last.end = key;
      last.count++;
    } else {
      runs.push({ start: key, end: key, count: 1 });
    }
  }
  return runs;
}

/** The inputs grouped by upstream asset, in first-seen order. */
export function provenanceByAsset(inputs: readonly ProvenanceInput[]): UpstreamProvenance[] {
  const byAsset = new Map<string, { keys: string[]; versions: Set<string> }>();
  for (const input of inputs) {
    let entry = byAsset.get(input.asset);
    if (!entry) byAsset.set(input.asset, (entry = { keys: [], versions: new Set() }));
    if (input.partition) entry.keys.push(input.partition);
    entry.versions.add(input.dataVersion);
  }
  return [...byAsset].map(([asset, { keys, versions }]) => {
    const runs = partitionRuns(keys);
    return { asset, runs, partitions: runs.reduce((n, r) => n + r.count, 0), dataVersions: [...versions] };
  });
}

/** A run as text: `2013-01-01 … 2013-01-31` or one key. */
export function runText(run: PartitionRun): string {
  return keyRange(run.start, run.end);
}
