import { describe, expect, test } from 'vitest';
import { countByStatus, millisText, secondsAgo, serverExecutorText, sortExecutors } from '../src/lib/deployment';

describe('sortExecutors', () => {
  test('running first, then lost, then stopped; newest start first within a status', () => {
    const executors = [
      { id: 'h:1:a', status: 'STOPPED', startedAt: '2026-12-07T10:00:00Z' },
      { id: 'h:2:b', status: 'RUNNING', startedAt: '2026-12-07T09:00:00Z' },
      { id: 'h:3:c', status: 'LOST', startedAt: '2026-12-07T11:00:00Z' },
      { id: 'h:4:d', status: 'RUNNING', startedAt: '2026-12-07T10:30:00Z' },
      { id: 'h:5:e', status: 'STOPPED', startedAt: '2026-12-07T10:00:00Z' },
    ];
    expect(sortExecutors(executors).map((e) => e.id)).toEqual(['h:4:d', 'h:2:b', 'h:3:c', 'h:1:a', 'h:5:e']);
  });

  test('leaves its input alone', () => {
    const executors = [
      { id: 'b', status: 'STOPPED', startedAt: '2026-12-07T10:00:00Z' },
      { id: 'a', status: 'RUNNING', startedAt: '2026-12-07T10:00:00Z' },
    ];
    sortExecutors(executors);
    expect(executors[0].id).toBe('b');
  });
});

test('countByStatus', () => {
  expect(
    countByStatus([
      { id: 'a', status: 'RUNNING', startedAt: '' },
      { id: 'b', status: 'STOPPED', startedAt: '' },
      { id: 'c', status: 'STOPPED', startedAt: '' },
    ]),
  ).toEqual({ RUNNING: 1, LOST: 0, STOPPED: 2 });
});

describe('secondsAgo', () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  test.each([
    ['2026-12-07T12:00:00Z', '0 s ago'],
    ['2026-12-07T11:59:59.400Z', '0 s ago'],
    ['2026-12-07T11:59:18Z', '42 s ago'],
    ['2026-12-07T11:58:01Z', '119 s ago'],
    ['2026-12-07T11:57:00Z', '3 min ago'],
    ['2026-12-07T09:00:00Z', '3 h ago'],
    ['2026-12-02T12:00:00Z', '5 d ago'],
    // A server clock slightly ahead of the browser's.
    ['2026-12-07T12:00:02Z', '0 s ago'],
  ])('%s -> %s', (iso, text) => expect(secondsAgo(iso, now)).toBe(text));

  test('no time, or not a time', () => {
    expect(secondsAgo(null, now)).toBe('—');
    expect(secondsAgo('soon', now)).toBe('soon');
  });
});

test('serverExecutorText', () => {
  expect(serverExecutorText(4)).toBe('executor, concurrency 4');
  expect(serverExecutorText(null)).toBe('no executor (--no-executor): workers execute runs');
});

test.each([
  [250, '250 ms'],
  [1000, '1 s'],
  [1500, '1.5 s'],
  [30_000, '30 s'],
  [120_000, '2 min'],
  [90_000, '1 min 30 s'],
])('millisText(%d) = %s', (ms, text) => expect(millisText(ms)).toBe(text));
