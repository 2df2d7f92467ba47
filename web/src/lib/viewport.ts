// The viewport that shows a whole drawing: the graph's own bounds, not
// what xyflow was handed (above 400 nodes it only gets the nodes near the
// viewport, so its fitView would fit that window, not the graph).

export interface Bounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/**
 * The viewport (xyflow's transform: screen = flow * zoom + (x, y)) that
 * centres `bounds` in a `view` of the given size with `padding` (a share
 * of the view) around it, the zoom clamped to [minZoom, maxZoom].
 */
export function fitBounds(bounds: Bounds, view: { width: number; height: number }, padding = 0.08, minZoom = 0.03, maxZoom = 1.1): Viewport {
  const bx = bounds.x ?? 0;
  const by = bounds.y ?? 0;
  const w = Math.max(1, bounds.width);
  const h = Math.max(1, bounds.height);
  const usableW = view.width * (1 - 2 * padding);
  const usableH = view.height * (1 - 2 * padding);
  const zoom = Math.min(maxZoom, Math.max(minZoom, Math.min(usableW / w, usableH / h)));
  return { x: view.width / 2 - (bx + w / 2) * zoom, y: view.height / 2 - (by + h / 2) * zoom, zoom };
}

/** A window of the layout in cells of `cell` flow pixels: cells x0..x1, y0..y1 (inclusive). */
export interface Cells {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The cells around what a viewport shows, with a margin of half the view's
 * longer side on each side (in flow pixels, so zooming out widens it): big
 * graphs hand xyflow only the nodes in them, and a pan that stays in the
 * same cells changes nothing.
 */
export function windowCells(vp: Viewport, view: { width: number; height: number }, cell: number): Cells {
  const left = -vp.x / vp.zoom;
  const top = -vp.y / vp.zoom;
  const margin = Math.max(view.width, view.height) / vp.zoom / 2;
  const q = (v: number) => Math.floor(v / cell);
  return { x0: q(left - margin), y0: q(top - margin), x1: q(left + view.width / vp.zoom + margin), y1: q(top + view.height / vp.zoom + margin) };
}

export function sameCells(a: Cells | null, b: Cells | null): boolean {
  return !!a && !!b && a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1;
}

/** The cells a box (flow coordinates) lies in. */
export function cellsOf(box: { x: number; y: number; width: number; height: number }, cell: number): Cells {
  const q = (v: number) => Math.floor(v / cell);
  return { x0: q(box.x), y0: q(box.y), x1: q(box.x + box.width), y1: q(box.y + box.height) };
}

/** The cells of both windows. */
export function unionCells(a: Cells, b: Cells): Cells {
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

/** The viewport that centres a box (flow coordinates) at `zoom`. */
export function centreOn(box: { x: number; y: number; width: number; height: number }, view: { width: number; height: number }, zoom: number): Viewport {
  return { x: view.width / 2 - (box.x + box.width / 2) * zoom, y: view.height / 2 - (box.y + box.height / 2) * zoom, zoom };
}

/** Whether a viewport shows the whole box (flow coordinates). */
export function shows(vp: Viewport, view: { width: number; height: number }, box: { x: number; y: number; width: number; height: number }): boolean {
  const left = box.x * vp.zoom + vp.x;
  const top = box.y * vp.zoom + vp.y;
  return left >= 0 && top >= 0 && left + box.width * vp.zoom <= view.width && top + box.height * vp.zoom <= view.height;
}

/** How far from the centre (a share of the view) a far jump's glide starts. */
export const GLIDE_SHARE = 0.3;

/**
 * A jump to a box: the viewport that centres it (`end`, at least `minZoom`),
 * and where the animation towards it starts. A box the view shows already
 * is glided to from the current viewport (`start` null); a box out of view
 * is first shown at once off-centre, on the side the move goes to (at most
 * GLIDE_SHARE of the view from the centre), then glided to the centre: it
 * is drawn on the next frame, and the animation pans a short way only
 * (a long animated pan would draw the target at its end, and swap the
 * nodes drawn on the way).
 */
export function jumpViewports(current: Viewport, view: { width: number; height: number }, box: { x: number; y: number; width: number; height: number }, minZoom: number): { start: Viewport | null; end: Viewport } {
  const zoom = Math.max(current.zoom, minZoom);
  const end = centreOn(box, view, zoom);
  if (shows(current, view, box)) return { start: null, end };
  // The box's centre and the view's centre, in flow coordinates.
  const dx = box.x + box.width / 2 - (view.width / 2 - current.x) / current.zoom;
  const dy = box.y + box.height / 2 - (view.height / 2 - current.y) / current.zoom;
  const length = Math.hypot(dx, dy) || 1;
  // Screen offset of the box from the centre at the start: towards where it lies.
  const ox = (dx / length) * GLIDE_SHARE * view.width;
  const oy = (dy / length) * GLIDE_SHARE * view.height;
  return { start: { x: end.x + ox, y: end.y + oy, zoom }, end };
}
