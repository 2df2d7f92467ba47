import { describe, expect, test } from 'vitest';
import { spacerHeights } from '../src/lib/virtualRows';

describe('virtualised rows', () => {
  test('spacers above and below the drawn rows fill the list to its full height', () => {
    // 1,000 rows of 34 px from 200 px down the page; rows 100..129 drawn.
    const rows = Array.from({ length: 30 }, (_, i) => ({ start: 200 + (100 + i) * 34, end: 200 + (101 + i) * 34 }));
    const total = 1000 * 34;
    const { top, bottom } = spacerHeights(rows, total, 200);
    expect(top).toBe(100 * 34);
    expect(bottom).toBe((1000 - 130) * 34);
    expect(top + rows.length * 34 + bottom).toBe(total);
  });

  test('the first rows drawn: no spacer above; the last: none below', () => {
    const rows = [{ start: 50, end: 84 }, { start: 84, end: 118 }];
    expect(spacerHeights(rows, 68, 50)).toEqual({ top: 0, bottom: 0 });
    expect(spacerHeights(rows, 340, 50)).toEqual({ top: 0, bottom: 272 });
  });

  test('no rows drawn: one spacer as tall as the list', () => {
    expect(spacerHeights([], 3400, 120)).toEqual({ top: 3400, bottom: 0 });
  });
});
