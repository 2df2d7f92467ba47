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
