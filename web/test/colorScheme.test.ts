import { describe, expect, test } from 'vitest';
import { effectiveScheme, nextScheme, parseScheme } from '../src/lib/colorScheme';

describe('colour scheme', () => {
  test('the system setting applies unless a scheme was chosen', () => {
    expect(effectiveScheme('system', true)).toBe('dark');
    expect(effectiveScheme('system', false)).toBe('light');
    expect(effectiveScheme('light', true)).toBe('light');
    expect(effectiveScheme('dark', false)).toBe('dark');
  });

  test('the toggle cycles through every choice', () => {
    expect(nextScheme('system')).toBe('dark');
    expect(nextScheme('dark')).toBe('light');
    expect(nextScheme('light')).toBe('system');
  });

  test('an unknown stored value means the system setting', () => {
    expect(parseScheme('dark')).toBe('dark');
    expect(parseScheme(null)).toBe('system');
    expect(parseScheme('blue')).toBe('system');
  });
});
