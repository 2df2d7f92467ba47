// The asset page's tabs and what each keeps in the URL
// (`/assets/<key>?tab=partitions&state=FAILED`,
// `?tab=events&partition=2013-01-05`; Overview is the default, so a bare
// `/assets/<key>` is the Overview), and the Partitions tab's table: one
// page of partitions at a time, filtered by state, computed from the
// partition state ranges (100,000 partitions are never all drawn).
import { keyAt, rangeOffsets, type StateRange } from './partitionBar';

export const ASSET_TABS = ['overview', 'partitions', 'events', 'checks', 'lineage'] as const;
export type AssetTab = (typeof ASSET_TABS)[number];

export const TAB_LABELS: Record<AssetTab, string> = {
  overview: 'Overview',
  partitions: 'Partitions',
  events: 'Events',
  checks: 'Checks',
  lineage: 'Lineage',
};

/** Partition states, in the bar legend's order (the states a partition table row can have). */
export const PARTITION_STATES = ['MATERIALIZED', 'STALE', 'FAILED', 'MATERIALIZING', 'MISSING'] as const;

/** The tabs an asset has: Partitions only for a partitioned asset (as Dagster). */
export function assetTabs(partitioned: boolean): AssetTab[] {
  return ASSET_TABS.filter((t) => t !== 'partitions' || partitioned);
}

/** What the URL says about the asset page. */
export interface AssetView {
  tab: AssetTab;
  /** Partitions tab: the state the table is filtered by. */
  state: string | null;
  /** Events tab: the partition whose events are shown. */
  partition: string | null;
}

/** The view in `search`; an unknown or absent tab (or one the asset does not have) is the Overview. */
export function parseAssetView(search: URLSearchParams, tabs: readonly AssetTab[] = ASSET_TABS): AssetView {
  const raw = search.get('tab');
  const tab = tabs.find((t) => t === raw) ?? 'overview';
  const state = search.get('state');
  const partition = search.get('partition');
  return {
    tab,
    state: tab === 'partitions' && state && (PARTITION_STATES as readonly string[]).includes(state) ? state : null,
    partition: tab === 'events' && partition ? partition : null,
  };
}

/** The query string of a view (`''` for the Overview), with only what its tab uses. */
export function assetViewSearch(view: Partial<AssetView> & { tab: AssetTab }): string {
  const params = new URLSearchParams();
  if (view.tab !== 'overview') params.set('tab', view.tab);
  if (view.tab === 'partitions' && view.state) params.set('state', view.state);
  if (view.tab === 'events' && view.partition) params.set('partition', view.partition);
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The tab a key moves to from `current` in a tablist (arrows wrap, Home, End); null for other keys. */
export function tabAfterKey(tabs: readonly AssetTab[], current: AssetTab, key: string): AssetTab | null {
  const i = tabs.indexOf(current);
  if (i < 0 || tabs.length === 0) return null;
  switch (key) {
    case 'ArrowRight':
      return tabs[(i + 1) % tabs.length];
    case 'ArrowLeft':
      return tabs[(i - 1 + tabs.length) % tabs.length];
    case 'Home':
      return tabs[0];
    case 'End':
      return tabs[tabs.length - 1];
    default:
      return null;
  }
}

// ---- the partition table ------------------------------------------------

export interface PartitionRow {
  /** Index of the partition in key order. */
  index: number;
  /** Its key; null when neither the keys nor the ranges tell it. */
  key: string | null;
  state: string;
}

export interface PartitionPageOptions {
  /** Only partitions in this state (null: all). */
  state: string | null;
  /** 0-based. */
  page: number;
  pageSize: number;
  /** Last key first (the newest time window first). */
  newestFirst: boolean;
  /** Partitions kind (`daily`...), to compute keys inside ranges. */
  kind?: string | null;
  /** Every key in order, when known (static and hourly partitions). */
  keys?: readonly string[] | null;
}

/** How many partitions are in `state` (all when null). */
export function filteredCount(ranges: readonly StateRange[], state: string | null): number {
  let n = 0;
  for (const r of ranges) if (!state || r.state === state) n += r.count;
  return n;
}

/** Pages of `pageSize` for `count` rows (at least one, so an empty table has page 1 of 1). */
export function pageCount(count: number, pageSize: number): number {
  return Math.max(1, Math.ceil(count / pageSize));
}

/**
 * One page of the partition table: the rows of partitions in `state` (all
 * when null), in key order or newest first. Linear in the number of ranges,
 * whatever the number of partitions.
 */
export function partitionPage(ranges: readonly StateRange[], options: PartitionPageOptions): PartitionRow[] {
  const { state, page, pageSize, newestFirst, kind, keys } = options;
  const offsets = rangeOffsets(ranges);
  let skip = Math.max(0, page) * pageSize;
  const rows: PartitionRow[] = [];
  for (let n = 0; n < ranges.length && rows.length < pageSize; n++) {
    const ri = newestFirst ? ranges.length - 1 - n : n;
    const r = ranges[ri];
    if (state && r.state !== state) continue;
    if (skip >= r.count) {
      skip -= r.count;
      continue;
    }
    const take = Math.min(r.count - skip, pageSize - rows.length);
    for (let k = 0; k < take; k++) {
      const within = skip + k;
      const index = newestFirst ? offsets[ri] + r.count - 1 - within : offsets[ri] + within;
      rows.push({ index, key: keyAt(ranges, offsets, index, kind, keys), state: r.state });
    }
    skip = 0;
  }
  return rows;
}

// ---- the Events tab's failures --------------------------------------------

export interface FailedRunSteps {
  id: string;
  steps: { nodes: readonly { id: string; asset: string; partition: string | null; status: string; error: string | null; startedAt: string | null; finishedAt: string | null }[] };
}

export interface AssetFailure {
  runId: string;
  stepId: string;
  partition: string | null;
  error: string | null;
  /** When the step ended (else started); null if it has neither. */
  at: string | null;
}

/** The failed steps of `asset` in these runs (of `partition` when given), newest first. */
export function assetFailures(runs: readonly FailedRunSteps[], asset: string, partition: string | null): AssetFailure[] {
  const out: AssetFailure[] = [];
  for (const run of runs) {
    for (const s of run.steps.nodes) {
      if (s.asset !== asset || s.status !== 'FAILED' || (partition !== null && s.partition !== partition)) continue;
      out.push({ runId: run.id, stepId: s.id, partition: s.partition, error: s.error, at: s.finishedAt ?? s.startedAt });
    }
  }
  return out.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''));
}
