// The home page's lineage request starts in an inline script of
// index.html (injected by vite.config.ts from lineageQuery.ts), in parallel
// with loading the bundle; GraphPage takes its answer over.
import type { LineageQuery } from './generated';

declare global {
  interface Window {
    __cairnPrefetch?: { selection: string | null; promise: Promise<{ data?: unknown; errors?: unknown[] }> };
  }
}

/** The prefetched lineage of `selection`, once (null when there is none or it failed). */
export function takePrefetchedLineage(selection: string | null): Promise<LineageQuery | null> | null {
  const p = window.__cairnPrefetch;
  if (!p || p.selection !== selection) return null;
  window.__cairnPrefetch = undefined;
  return p.promise.then(
    (body) => (body.data && !body.errors ? (body.data as LineageQuery) : null),
    () => null,
  );
}
