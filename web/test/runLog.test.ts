import { describe, expect, test } from 'vitest';
import { appendEvent } from '../src/lib/runLog';

type Line = { cursor: string; kind: string };

describe('appendEvent', () => {
  test('an event delivered again is kept once, in first-arrival order', () => {
    let lines: readonly Line[] = [];
    const deliveries = [
      { cursor: '1', kind: 'RUN_START' },
      { cursor: '2', kind: 'STEP_START' },
      { cursor: '3', kind: 'RUN_SUCCESS' },
      { cursor: '3', kind: 'RUN_SUCCESS' }, // the last result, handed over again on completion
      { cursor: '1', kind: 'RUN_START' }, // a reconnect replaying from the start
      { cursor: '2', kind: 'STEP_START' },
    ];
    for (const event of deliveries) lines = appendEvent(lines, event);
    expect(lines.map((l) => l.cursor)).toEqual(['1', '2', '3']);
    expect(lines.filter((l) => l.kind === 'RUN_SUCCESS')).toHaveLength(1);
  });

  test('a repeated event returns the same array, so nothing re-renders', () => {
    const once = appendEvent([], { cursor: '7' });
    expect(appendEvent(once, { cursor: '7' })).toBe(once);
  });

  test('called twice on the same lines (as React may call a state updater) it gives the same log', () => {
    const start = appendEvent(appendEvent([], { cursor: 'a' }), { cursor: 'b' });
    const first = appendEvent(start, { cursor: 'c' });
    const second = appendEvent(start, { cursor: 'c' });
    expect(second).toEqual(first);
    expect(second.map((l) => l.cursor)).toEqual(['a', 'b', 'c']);
    expect(appendEvent(second, { cursor: 'c' })).toBe(second);
  });
});
