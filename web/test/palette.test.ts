import { describe, expect, test } from 'vitest';
import { idsInQuery, movePaletteIndex, paletteItems } from '../src/lib/palette';

const keys = ['raw/airlines', 'reports/delay_report', 'delays_by_carrier', 'flights_daily', 'exports/carrier_delays'];

describe('global search', () => {
  test('ids: r-12 a run, b-3 a backfill, a number either', () => {
    expect(idsInQuery('r-12')).toEqual({ runId: 'r-12', backfillId: null });
    expect(idsInQuery(' B-3 ')).toEqual({ runId: null, backfillId: 'b-3' });
    expect(idsInQuery('7')).toEqual({ runId: 'r-7', backfillId: 'b-7' });
    expect(idsInQuery('delay')).toEqual({ runId: null, backfillId: null });
  });

  test('assets by key, case-insensitive substring, best matches first', () => {
    const items = paletteItems('DELAY', keys, {});
    expect(items.map((i) => (i.kind === 'asset' ? i.key : i.id))).toEqual(['delays_by_carrier', 'reports/delay_report', 'exports/carrier_delays']);
    expect(items[1].path).toBe('/assets/reports/delay_report');
    expect(paletteItems('delay_rep', keys, {}).map((i) => i.path)).toEqual(['/assets/reports/delay_report']);
    expect(paletteItems('', keys, {})).toEqual([]);
  });

  test('a found run and backfill come before assets, within the limit', () => {
    const items = paletteItems('1', ['a1', 'b1', 'c1'], { runId: 'r-1', backfillId: 'b-1' }, 3);
    expect(items.map((i) => i.path)).toEqual(['/runs/r-1', '/backfills/b-1', '/assets/a1']);
  });

  test('arrow keys wrap around the list', () => {
    expect(movePaletteIndex(0, 3, -1)).toBe(2);
    expect(movePaletteIndex(2, 3, 1)).toBe(0);
    expect(movePaletteIndex(0, 0, 1)).toBe(0);
  });
});
