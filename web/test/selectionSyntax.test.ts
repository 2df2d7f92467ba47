import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SELECTION_PLACEHOLDER, SELECTION_SYNTAX } from '../src/lib/selectionSyntax';

/** README's selection table: each row's backquoted forms in its first column. */
function readmeRows(): string[][] {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const start = readme.indexOf('| selection | selects |');
  expect(start).toBeGreaterThan(0);
  const rows = readme.slice(start).split('\n').slice(2);
  const table = rows.slice(0, rows.findIndex((l) => !l.startsWith('|')));
  return table.map((row) => [...row.split('|')[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]));
}

describe('selection syntax help', () => {
  test("lists exactly README's selection table, row by row, form by form", () => {
    const rows = readmeRows();
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(SELECTION_SYNTAX.map((s) => s.forms)).toEqual(rows);
  });

  test('the placeholder shows a group, a kind, + and the boolean operators, each a form the table lists', () => {
    for (const part of ['group:raw', 'kind:sql', '+key', ' or ', 'not ']) expect(SELECTION_PLACEHOLDER).toContain(part);
    const forms = SELECTION_SYNTAX.flatMap((s) => s.forms).join(' ');
    for (const attribute of ['group:', 'kind:', 'tag:']) expect(forms).toContain(attribute);
  });
});
