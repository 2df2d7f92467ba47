import { describe, expect, test } from 'vitest';
import { keepLast } from '../src/lib/kept';

describe('kept data', () => {
  test('a failed refetch (no data) keeps the last data and its time', () => {
    const first = keepLast({ data: undefined, receivedAt: null }, ['b-1'], 1000);
    expect(first).toEqual({ data: ['b-1'], receivedAt: 1000 });
    const afterFailure = keepLast(first, undefined, 2000);
    expect(afterFailure).toBe(first);
    const next = keepLast(afterFailure, ['b-1', 'b-2'], 3000);
    expect(next).toEqual({ data: ['b-1', 'b-2'], receivedAt: 3000 });
  });
});
