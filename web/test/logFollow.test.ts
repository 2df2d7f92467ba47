import { describe, expect, test } from 'vitest';
import { followsAfterScroll } from '../src/lib/logFollow';

describe('run log following', () => {
  test('its own scroll to the end, seen after more lines arrived, keeps following', () => {
    // The log set scrollTop to 10,000; 842 more lines (12,000 px) came before the scroll event.
    expect(followsAfterScroll(true, { top: 10_000, height: 22_380, client: 380 }, 10_000)).toBe(true);
  });

  test('the user scrolling up stops following; back at the end follows again', () => {
    expect(followsAfterScroll(true, { top: 6_000, height: 10_380, client: 380 }, 10_000)).toBe(false);
    expect(followsAfterScroll(false, { top: 9_990, height: 10_380, client: 380 }, 10_000)).toBe(true);
  });

  test('a user who stopped following does not resume by lines arriving', () => {
    expect(followsAfterScroll(false, { top: 6_000, height: 22_380, client: 380 }, 10_000)).toBe(false);
  });
});
