// The global search (⌘K / Ctrl-K): what a query finds among assets, runs
// and backfills, best first. Assets are ranked as the lineage graph's
// search ranks them (exact, prefix, segment prefix, substring); a run or
// a backfill is found by its id, written `r-12`, `b-3` or just the number.
import { searchKeys } from './graphModel';

export type PaletteItem = { kind: 'run' | 'backfill'; id: string; path: string } | { kind: 'asset'; key: string; path: string };

/** An asset page's path (the router's `assetPath`, which needs a window). */
const assetPagePath = (key: string) => `/assets/${key.split('/').map(encodeURIComponent).join('/')}`;

/** The run and backfill ids a query can name: `r-12` a run, `b-3` a backfill, `12` either. */
export function idsInQuery(query: string): { runId: string | null; backfillId: string | null } {
  const q = query.trim().toLowerCase();
  const number = /^(\d+)$/.exec(q)?.[1];
  if (number) return { runId: `r-${number}`, backfillId: `b-${number}` };
  const run = /^r-?(\d+)$/.exec(q)?.[1];
  const backfill = /^b-?(\d+)$/.exec(q)?.[1];
  return { runId: run ? `r-${run}` : null, backfillId: backfill ? `b-${backfill}` : null };
}

/**
 * What the palette lists for a query: the run and backfill the server
 * confirmed (`found`), first, since an id is exact, then the matching
 * asset keys, best first, `limit` items in all.
 */
export function paletteItems(query: string, assetKeys: readonly string[], found: { runId?: string | null; backfillId?: string | null }, limit = 12): PaletteItem[] {
  const items: PaletteItem[] = [];
  if (found.runId) items.push({ kind: 'run', id: found.runId, path: `/runs/${found.runId}` });
  if (found.backfillId) items.push({ kind: 'backfill', id: found.backfillId, path: `/backfills/${found.backfillId}` });
  for (const key of searchKeys(assetKeys, query, Math.max(0, limit - items.length))) items.push({ kind: 'asset', key, path: assetPagePath(key) });
  return items;
}

/** The highlighted row after an arrow key: it wraps around the list. */
export function movePaletteIndex(index: number, count: number, by: 1 | -1): number {
  if (count === 0) return 0;
  return (index + by + count) % count;
}
