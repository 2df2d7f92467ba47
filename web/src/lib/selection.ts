// The selection syntax of the API (`key`, `+key`, `key+`, `2+key`, `key+1`,
// `+key+`, `raw/*`), parsed and written back, and matched locally so the
// graph can highlight what a selection names before asking the server.

/** `null`: no expansion; `'all'`: all the way; a number: up to that many edges. */
export type Depth = null | 'all' | number;

export interface SelectionTerm {
  pattern: string;
  upstream: Depth;
  downstream: Depth;
}

export class SelectionSyntaxError extends Error {}

function parseDepth(digits: string, term: string): Depth {
  if (digits === '') return 'all';
  if (!/^\d+$/.test(digits)) throw new SelectionSyntaxError(`invalid selection \`${term}\`: \`+\` may only be followed by a number of levels`);
  return Number(digits);
}

export function parseTerm(term: string): SelectionTerm {
  let upstream: Depth = null;
  let rest = term;
  const first = term.indexOf('+');
  if (first >= 0 && /^\d*$/.test(term.slice(0, first))) {
    upstream = parseDepth(term.slice(0, first), term);
    rest = term.slice(first + 1);
  }
  let downstream: Depth = null;
  let pattern = rest;
  const plus = rest.indexOf('+');
  if (plus >= 0) {
    downstream = parseDepth(rest.slice(plus + 1), term);
    pattern = rest.slice(0, plus);
  }
  if (pattern === '') throw new SelectionSyntaxError(`invalid selection \`${term}\`: no asset key`);
  return { pattern, upstream, downstream };
}

/** Terms separated by whitespace; none selects every asset. */
export function parseSelection(text: string): SelectionTerm[] {
  return text.split(/\s+/).filter(Boolean).map(parseTerm);
}

export function formatTerm(term: SelectionTerm): string {
  const up = term.upstream === null ? '' : term.upstream === 'all' ? '+' : `${term.upstream}+`;
  const down = term.downstream === null ? '' : term.downstream === 'all' ? '+' : `+${term.downstream}`;
  return `${up}${term.pattern}${down}`;
}

export function formatSelection(terms: SelectionTerm[]): string {
  return terms.map(formatTerm).join(' ');
}

/** Whether a glob (`*` within one `/` segment) or exact key matches `key`. */
export function patternMatches(pattern: string, key: string): boolean {
  if (!pattern.includes('*')) return pattern === key;
  const re = new RegExp('^' + pattern.split('*').map(escapeRegExp).join('[^/]*') + '$');
  return re.test(key);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Quotes nothing: asset keys have no spaces. `+key+` of one asset, for the graph's "select around". */
export function aroundSelection(key: string): string {
  return `+${key}+`;
}

/** The first path segment of a key (the API's `group`). */
export function groupOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}
