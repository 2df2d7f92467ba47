// One legend for the whole UI.

/** Asset states of the lineage graph (LineageNode.state). */
export const ASSET_STATES: { state: string; label: string; color: string }[] = [
  { state: 'FRESH', label: 'Fresh', color: '#2f9e44' },
  { state: 'STALE', label: 'Stale', color: '#e8a317' },
  { state: 'MISSING', label: 'Missing', color: '#adb5bd' },
  { state: 'FAILED', label: 'Failed check / materialization', color: '#e03131' },
  { state: 'MATERIALIZING', label: 'Materializing', color: '#1c7ed6' },
  { state: 'OVERDUE', label: 'Freshness overdue', color: '#9c36b5' },
];

const ASSET_COLOR = Object.fromEntries(ASSET_STATES.map((s) => [s.state, s.color]));

/** Partition states and step statuses share the asset legend's colours. */
const PARTITION_COLOR: Record<string, string> = {
  MATERIALIZED: '#2f9e44',
  STALE: '#e8a317',
  FAILED: '#e03131',
  MATERIALIZING: '#1c7ed6',
  MISSING: '#dee2e6',
  // Step statuses (backfill bars).
  QUEUED: '#c5d4e8',
  RUNNING: '#1c7ed6',
  SKIPPED: '#868e96',
  CANCELED: '#495057',
  UP_TO_DATE: '#8ce99a',
};

export function assetColor(state: string): string {
  return ASSET_COLOR[state] ?? '#adb5bd';
}

export function partitionColor(state: string): string {
  return PARTITION_COLOR[state] ?? '#dee2e6';
}

export const PARTITION_LEGEND = ['MATERIALIZED', 'STALE', 'FAILED', 'MATERIALIZING', 'MISSING'];
export const STEP_LEGEND = ['QUEUED', 'RUNNING', 'MATERIALIZED', 'UP_TO_DATE', 'FAILED', 'SKIPPED', 'CANCELED'];

export function statusClass(status: string): string {
  return `status status-${status.toLowerCase()}`;
}
