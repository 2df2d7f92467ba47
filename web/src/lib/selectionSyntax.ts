// The selection grammar as the UI explains it: the examples of README's
// selection table (one grammar for the CLI, the API and the UI; parsed by
// the server, `lineage/src/selection.rs`), shown under the graph's
// selection input. `test/selectionSyntax.test.ts` checks them against
// README's table.

export interface SelectionSyntax {
  /** The forms, as README's table writes them. */
  forms: string[];
  /** What they select. */
  selects: string;
}

export const SELECTION_SYNTAX: readonly SelectionSyntax[] = [
  { forms: ['*'], selects: 'every asset (as an empty selection)' },
  { forms: ['flights_daily', 'key:flights_daily', 'key:"raw/flights"'], selects: 'that asset' },
  { forms: ['raw/*', '**/*_daily'], selects: 'a glob of keys: * stays within one / segment, ** crosses them' },
  { forms: ['group:raw'], selects: "a group: the asset's group, else its key's first segment, else default" },
  { forms: ['kind:sql'], selects: 'a kind: source, sql, command' },
  { forms: ['tag:team', 'tag:team=ops'], selects: 'assets with that tag (and value)' },
  { forms: ['+X', '2+X', 'X+', 'X+1'], selects: 'X with everything (or up to N edges) upstream, downstream' },
  { forms: ['roots(X)', 'sinks(X)'], selects: 'the assets of X with nothing upstream (downstream) of them in X' },
  { forms: ['X and Y', 'X or Y', 'not X', '(X)'], selects: 'intersection, union, every asset but X, grouping; not binds tighter than and, and than or' },
  { forms: ['X Y'], selects: 'the union (as in dbt)' },
];

/** The selection input's placeholder: a few of the forms above, concrete (empty: every asset). */
export const SELECTION_PLACEHOLDER = 'group:raw or kind:sql, +key, key+1, not tag:team';
