import { describe, expect, test } from 'vitest';
import { assetHeaderState, failingChecksMark, failingChecksMarks, backfillStatus, checksSummary, keyRange, runOrigin, didYouMean, enumWords, missingText, partitionStateCounts, plural, shellQuote, spaceDurationUnits, tookMs } from '../src/lib/words';
import { bytes, dateTime, duration, logTime } from '../src/format';

describe('words', () => {
  test('enum values become words, every underscore', () => {
    expect(enumWords('UP_TO_DATE')).toBe('up to date');
    expect(enumWords('code_version_changed')).toBe('code version changed');
  });

  test('plurals agree with their number', () => {
    expect(plural(1, 'partition')).toBe('1 partition');
    expect(plural(90, 'partition')).toBe('90 partitions');
    expect(plural(1200, 'partition')).toBe('1,200 partitions');
  });

  test('humantime durations get a space before long units', () => {
    expect(spaceDurationUnits('materialized within 1day (warn after 12h)')).toBe('materialized within 1 day (warn after 12h)');
    expect(spaceDurationUnits('2days 3h, 1month, 1week')).toBe('2 days 3h, 1 month, 1 week');
    expect(spaceDurationUnits('cron 0 9 * * 1-5')).toBe('cron 0 9 * * 1-5');
  });

  test('missing text says how many partitions were never materialized', () => {
    expect(missingText({ total: 90, missing: 90 })).toBe('Never materialized.');
    expect(missingText({ total: 1, missing: 1 })).toBe('Never materialized.');
    expect(missingText(null)).toBe('Never materialized.');
    expect(missingText({ total: 90, missing: 12 })).toBe('12 of 90 partitions never materialized.');
  });

  test('a requested backfill whose steps started reads running', () => {
    const none = { inProgress: 0, materialized: 0, failed: 0, upToDate: 0, skipped: 0 };
    expect(backfillStatus('REQUESTED', none)).toBe('REQUESTED');
    expect(backfillStatus('REQUESTED', { ...none, inProgress: 1 })).toBe('RUNNING');
    expect(backfillStatus('REQUESTED', { ...none, materialized: 3 })).toBe('RUNNING');
    expect(backfillStatus('COMPLETED', { ...none, materialized: 3 })).toBe('COMPLETED');
  });

  test('only a finished run took a time', () => {
    expect(tookMs('2026-01-01T00:00:00Z', null)).toBeNull();
    expect(tookMs(null, '2026-01-01T00:00:01Z')).toBeNull();
    expect(tookMs('2026-01-01T00:00:00Z', '2026-01-01T00:00:01.5Z')).toBe(1500);
  });

  test('commands are quoted as a shell reads them', () => {
    expect(shellQuote(['python3', 'scripts/export.py', '--out', 'a b.csv'])).toBe("python3 scripts/export.py --out 'a b.csv'");
    expect(shellQuote(['sh', '-c', "echo it's $HOME"])).toBe(`sh -c 'echo it'\\''s $HOME'`);
    expect(shellQuote(['x', ''])).toBe("x ''");
  });

  test('did-you-mean suggestions are found in error messages', () => {
    expect(didYouMean('unknown asset `flights_dayly`; did you mean `flights_daily`?')).toEqual({
      before: 'unknown asset `flights_dayly`; did you mean ',
      suggestion: 'flights_daily',
      after: '?',
    });
    expect(didYouMean('unknown asset `zzz`')).toBeNull();
  });

  test('partition counts per state are disjoint', () => {
    // One unpartitioned stale asset: `partitionStats` says 1 materialized and 1 stale.
    expect(partitionStateCounts([{ count: 1, state: 'STALE' }])).toEqual({ STALE: 1 });
    const counts = partitionStateCounts([
      { count: 10, state: 'MATERIALIZED' },
      { count: 2, state: 'STALE' },
      { count: 5, state: 'MATERIALIZED' },
    ]);
    expect(counts).toEqual({ MATERIALIZED: 15, STALE: 2 });
  });

  test('the asset header shows the graph state when it is worse than the stale status', () => {
    expect(assetHeaderState('STALE', 'FAILED')).toBe('FAILED');
    expect(assetHeaderState('FRESH', 'OVERDUE')).toBe('OVERDUE');
    expect(assetHeaderState('STALE', 'STALE')).toBe('STALE');
    expect(assetHeaderState('MISSING', null)).toBe('MISSING');
  });
});

describe('check summaries', () => {
  const check = (name: string, severity: string, passed: number, failed: number) => ({ name, severity, passed, failed });
  test('the worst verdict first, a firing warn check named', () => {
    expect(checksSummary([])).toEqual({ text: 'no checks', level: 'none' });
    expect(checksSummary([check('a', 'WARN', 0, 1), check('b', 'ERROR', 1, 0)])).toEqual({ text: '1 warn check failing (a)', level: 'warn' });
    expect(checksSummary([check('a', 'WARN', 0, 1), check('b', 'ERROR', 0, 2), check('c', 'ERROR', 0, 1)])).toEqual({ text: '2 error checks failing (b, c)', level: 'error' });
    expect(checksSummary([check('a', 'WARN', 3, 0), check('b', 'ERROR', 1, 0)])).toEqual({ text: '2 checks passing', level: 'ok' });
    expect(checksSummary([check('a', 'WARN', 0, 0)])).toEqual({ text: '1 check, not evaluated yet', level: 'none' });
  });
});

describe('key ranges', () => {
  test('one form on every page', () => {
    expect(keyRange('2013-01-01', '2013-01-31')).toBe('2013-01-01 … 2013-01-31');
    expect(keyRange('2013-01-01', '2013-01-01')).toBe('2013-01-01');
  });
});

describe('run origins', () => {
  test('a backfill is named b-2 everywhere', () => {
    expect(runOrigin('backfill:2', 'b-2')).toBe('backfill b-2');
    expect(runOrigin('backfill:7', null)).toBe('backfill b-7');
    expect(runOrigin('cli', null)).toBe('the CLI');
    expect(runOrigin('automation', null)).toBe('automation');
  });
});

describe('times', () => {
  test('dates are ISO in UTC, the same on every page', () => {
    expect(dateTime('2026-12-07T10:39:33.456Z')).toBe('2026-12-07 10:39:33 UTC');
    expect(dateTime('2026-12-07T11:39:33+01:00')).toBe('2026-12-07 10:39:33 UTC');
    expect(dateTime(null)).toBe('—');
  });

  test('log times are a 24-hour clock with milliseconds', () => {
    expect(logTime('2026-12-07T22:05:03.007Z')).toBe('22:05:03.007');
  });
});

describe('units', () => {
  test('a number and its unit never wrap apart', () => {
    expect(duration(60)).toBe('60\u00a0ms');
    expect(duration(1500)).toBe('1.5\u00a0s');
    expect(duration(61_000)).toBe('1\u00a0min 1\u00a0s');
    expect(bytes(2048)).toBe('2.0\u00a0KB');
  });
});

describe('failing checks mark on a lineage node', () => {
  const cases: { name: string; node: { failingErrorChecks?: number; failingWarnChecks?: number }; mark: ReturnType<typeof failingChecksMark> }[] = [
    { name: 'none failing: no mark', node: { failingErrorChecks: 0, failingWarnChecks: 0 }, mark: null },
    { name: 'fields absent: no mark', node: {}, mark: null },
    { name: 'one warn check', node: { failingErrorChecks: 0, failingWarnChecks: 1 }, mark: { level: 'warn', count: 1, title: '1 warn check failing' } },
    { name: 'two error checks', node: { failingErrorChecks: 2, failingWarnChecks: 0 }, mark: { level: 'error', count: 2, title: '2 error checks failing' } },
    { name: 'both: error level, both said', node: { failingErrorChecks: 1, failingWarnChecks: 3 }, mark: { level: 'error', count: 1, title: '1 error check failing, 3 warn checks failing' } },
  ];
  test.each(cases)('$name', ({ node, mark }) => {
    expect(failingChecksMark(node)).toEqual(mark);
  });
});

describe('failing checks marks on a collapsed group', () => {
  test('one mark per level that has failing checks, error first, each with its own count', () => {
    expect(failingChecksMarks({ failingErrorChecks: 0, failingWarnChecks: 0 })).toEqual([]);
    expect(failingChecksMarks({ failingErrorChecks: 0, failingWarnChecks: 2 })).toEqual([{ level: 'warn', count: 2, title: '2 warn checks failing' }]);
    expect(failingChecksMarks({ failingErrorChecks: 3, failingWarnChecks: 1 })).toEqual([
      { level: 'error', count: 3, title: '3 error checks failing' },
      { level: 'warn', count: 1, title: '1 warn check failing' },
    ]);
  });
});
