// A virtualised table's spacer rows: the table draws only the rows near the
// viewport (the catalog's 10,000 assets), between a row as tall as the rows
// above them and one as tall as the rows below, so the page keeps its full
// height and the scroll bar its meaning.

/** A drawn row: its top and bottom, in the virtualizer's offsets (the list's scroll margin included). */
export interface DrawnRow {
  start: number;
  end: number;
}

/**
 * The heights of the spacers above and below the drawn rows, for a list of
 * `totalSize` (without its scroll margin) that starts `scrollMargin` down
 * the page. No rows drawn: one spacer as tall as the list.
 */
export function spacerHeights(rows: readonly DrawnRow[], totalSize: number, scrollMargin: number): { top: number; bottom: number } {
  if (rows.length === 0) return { top: totalSize, bottom: 0 };
  const top = Math.max(0, rows[0].start - scrollMargin);
  const bottom = Math.max(0, totalSize - (rows[rows.length - 1].end - scrollMargin));
  return { top, bottom };
}
