// What the UI says: enum values and server phrases turned into words a
// reader expects, in one place so every page says the same thing.

/** An enum value (or a snake_case kind) as words: `UP_TO_DATE` -> `up to date`. */
export function enumWords(value: string): string {
  return value.toLowerCase().replace(/_/g, ' ');
}

/** `1 partition`, `90 partitions` (thousands separated). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * A duration as humantime writes it (`1day`, `2days 3h`, `1month`) with a
 * space between number and unit: `1 day`, `2 days 3h`, `1 month`. Short
 * units (`12h`, `30m`, `5s`) stay as they are.
 */
export function spaceDurationUnits(text: string): string {
  return text.replace(/\b(\d+)(years?|months?|weeks?|days?)\b/g, '$1 $2');
}

/**
 * The stale status of an asset page when the server reports no cause:
 * `Never materialized` when no partition ever was, `12 of 90 partitions
 * never materialized` when some were.
 */
export function missingText(stats: { total: number; missing: number } | null | undefined): string {
  if (!stats || stats.total <= 1 || stats.missing >= stats.total) return 'Never materialized.';
  return `${stats.missing.toLocaleString('en-US')} of ${plural(stats.total, 'partition')} never materialized.`;
}

/** A backfill's status as words: `REQUESTED` once its run started reads `running`. */
export function backfillStatus(status: string, counts: { inProgress: number; materialized: number; failed: number; upToDate: number; skipped: number }): string {
  if (status !== 'REQUESTED') return status;
  const started = counts.inProgress + counts.materialized + counts.failed + counts.upToDate + counts.skipped > 0;
  return started ? 'RUNNING' : 'REQUESTED';
}

/** How long a run or backfill took: only once it finished (a queued or running one has no "took"). */
export function tookMs(startedAt: string | null | undefined, finishedAt: string | null | undefined): number | null {
  if (!startedAt || !finishedAt) return null;
  return new Date(finishedAt).getTime() - new Date(startedAt).getTime();
}

/**
 * A command as a shell would read it back: arguments with spaces, quotes or
 * shell characters in single quotes (`'it'\''s'` for an embedded quote).
 */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) => (a !== '' && /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Splits an error message around a did-you-mean suggestion
 * (`` unknown asset `x`: did you mean `y`? ``) so the suggestion can be a
 * link: `before`, `suggestion`, `after`; null when there is none.
 */
export function didYouMean(message: string): { before: string; suggestion: string; after: string } | null {
  const m = /^([\s\S]*?did you mean )`([^`]+)`([\s\S]*)$/.exec(message);
  if (!m) return null;
  return { before: m[1], suggestion: m[2], after: m[3] };
}

/**
 * Disjoint partition counts per state, from the partition state ranges
 * (each partition is in exactly one state; `partitionStats.materialized`
 * also counts the stale ones).
 */
export function partitionStateCounts(ranges: readonly { count: number; state: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of ranges) counts[r.state] = (counts[r.state] ?? 0) + r.count;
  return counts;
}

/**
 * The state an asset page shows in its header, the same as the lineage
 * graph's colour: a failed error check or materialization is `FAILED`,
 * whatever the stale status says.
 */
export function assetHeaderState(staleStatus: string, graphState: string | null | undefined): string {
  if (graphState && graphState !== 'FRESH' && graphState !== 'STALE' && graphState !== 'MISSING') return graphState;
  return staleStatus;
}

/**
 * Who launched a run, with a backfill named as everywhere else (`b-2`,
 * never the stored origin `backfill:2`).
 */
export function runOrigin(origin: string, backfillId: string | null | undefined): string {
  const stored = /^backfill:(\d+)$/.exec(origin);
  const backfill = backfillId ?? (stored ? `b-${stored[1]}` : null);
  if (backfill) return `backfill ${backfill}`;
  if (origin === 'cli') return 'the CLI';
  if (origin === 'api') return 'the API';
  return origin;
}

/** A range of partition keys as every page writes it: `2013-01-01 … 2013-01-31`, or the one key. */
export function keyRange(start: string, end: string): string {
  return start === end ? start : `${start} … ${end}`;
}

/**
 * An asset's checks in one line, the worst first: `1 error check failing
 * (unique_id)`, `1 warn check failing (about_five_rows)`, `3 checks
 * passing`, `not evaluated yet`, `no checks`; with the level it is shown in.
 */
export function checksSummary(checks: readonly { name: string; severity: string; passed: number; failed: number }[]): { text: string; level: 'error' | 'warn' | 'ok' | 'none' } {
  if (checks.length === 0) return { text: 'no checks', level: 'none' };
  for (const severity of ['ERROR', 'WARN'] as const) {
    const failing = checks.filter((c) => c.severity === severity && c.failed > 0);
    if (failing.length) {
      return {
        text: `${plural(failing.length, `${severity.toLowerCase()} check`)} failing (${failing.map((c) => c.name).join(', ')})`,
        level: severity === 'ERROR' ? 'error' : 'warn',
      };
    }
  }
  const evaluated = checks.filter((c) => c.passed > 0).length;
  if (evaluated === 0) return { text: `${plural(checks.length, 'check')}, not evaluated yet`, level: 'none' };
  return { text: `${plural(evaluated, 'check')} passing`, level: 'ok' };
}

/**
 * A lineage node's failing checks as the mark drawn on it, or null when none
 * fails: error level when an error check fails (the node is then `FAILED`),
 * else warn (the node keeps its colour: the data was published). `count` is
 * the failing checks of that level; `title` names both levels:
 * `1 error check failing, 2 warn checks failing`.
 */
export function failingChecksMark(node: { failingErrorChecks?: number; failingWarnChecks?: number }): { level: 'error' | 'warn'; count: number; title: string } | null {
  const errors = node.failingErrorChecks ?? 0;
  const warns = node.failingWarnChecks ?? 0;
  if (errors === 0 && warns === 0) return null;
  const parts = [errors && `${plural(errors, 'error check')} failing`, warns && `${plural(warns, 'warn check')} failing`].filter(Boolean);
  return { level: errors ? 'error' : 'warn', count: errors || warns, title: parts.join(', ') };
}

/**
 * A collapsed group's failing checks as marks, one per level that has any:
 * the error mark (`✕ 3`, its members' failing error checks summed) first,
 * then the warn mark (`⚠ 1`); each titled with its own count.
 */
export function failingChecksMarks(node: { failingErrorChecks?: number; failingWarnChecks?: number }): { level: 'error' | 'warn'; count: number; title: string }[] {
  const error = failingChecksMark({ failingErrorChecks: node.failingErrorChecks });
  const warn = failingChecksMark({ failingWarnChecks: node.failingWarnChecks });
  return [error, warn].filter((m) => m !== null);
}
