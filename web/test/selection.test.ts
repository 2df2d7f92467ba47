import { describe, expect, test } from 'vitest';
import { parseSelection, formatSelection, parseTerm, patternMatches, SelectionSyntaxError, groupOf } from '../src/lib/selection';

describe('selection syntax', () => {
  test.each(['flights_daily', '+flights_daily', 'flights_daily+', '+flights_daily+', '2+key', 'key+1', '3+raw/*+2', 'raw/* +a b+', ''])(
    'round-trips %j',
    (text) => {
      expect(formatSelection(parseSelection(text))).toBe(text);
    },
  );

  test('parses depths', () => {
    expect(parseTerm('+a')).toEqual({ pattern: 'a', upstream: 'all', downstream: null });
    expect(parseTerm('2+a+')).toEqual({ pattern: 'a', upstream: 2, downstream: 'all' });
    expect(parseTerm('a+3')).toEqual({ pattern: 'a', upstream: null, downstream: 3 });
    expect(parseTerm('raw/*')).toEqual({ pattern: 'raw/*', upstream: null, downstream: null });
  });

  test('normalises whitespace', () => {
    expect(formatSelection(parseSelection('  +a   b+ '))).toBe('+a b+');
  });

  test('rejects malformed terms', () => {
    expect(() => parseTerm('+')).toThrow(SelectionSyntaxError);
    expect(() => parseTerm('a+b')).toThrow(/number of levels/);
  });

  test('globs match within one segment', () => {
    expect(patternMatches('raw/*', 'raw/flights')).toBe(true);
    expect(patternMatches('raw/*', 'raw/a/b')).toBe(false);
    expect(patternMatches('*_daily', 'flights_daily')).toBe(true);
    expect(patternMatches('flights.daily', 'flightsXdaily')).toBe(false);
    expect(groupOf('raw/flights')).toBe('raw');
    expect(groupOf('flights_daily')).toBe('flights_daily');
  });
});
