import { describe, expect, test } from 'vitest';
import { cellsOf, centreOn, fitBounds, GLIDE_SHARE, jumpViewports, sameCells, shows, unionCells, windowCells } from '../src/lib/viewport';

describe('fit view', () => {
  test('the whole graph fits in the view, centred', () => {
    const view = { width: 1400, height: 800 };
    const graph = { width: 20_000, height: 6_000 };
    const vp = fitBounds(graph, view, 0.05);
    // Both corners of the graph are inside the view.
    const left = vp.x;
    const right = vp.x + graph.width * vp.zoom;
    const top = vp.y;
    const bottom = vp.y + graph.height * vp.zoom;
    expect(left).toBeGreaterThanOrEqual(0);
    expect(right).toBeLessThanOrEqual(view.width);
    expect(top).toBeGreaterThanOrEqual(0);
    expect(bottom).toBeLessThanOrEqual(view.height);
    expect((left + right) / 2).toBeCloseTo(view.width / 2, 6);
    expect((top + bottom) / 2).toBeCloseTo(view.height / 2, 6);
  });

  test('a small graph is not zoomed in past the maximum', () => {
    expect(fitBounds({ width: 200, height: 100 }, { width: 1400, height: 800 }, 0.08, 0.03, 1.1).zoom).toBe(1.1);
  });

  test('bounds that do not start at the origin are centred too', () => {
    const vp = fitBounds({ x: 1000, y: 500, width: 1000, height: 500 }, { width: 1000, height: 500 }, 0, 0.01, 2);
    expect(vp).toEqual({ x: -1000, y: -500, zoom: 1 });
  });
});

describe('drawn window', () => {
  const view = { width: 1400, height: 800 };

  test('the cells around the view, with half its longer side on each side', () => {
    // At zoom 1 the view shows flow x 0..1400, y 0..800; the margin is 700.
    expect(windowCells({ x: 0, y: 0, zoom: 1 }, view, 800)).toEqual({ x0: -1, y0: -1, x1: 2, y1: 1 });
    // Zoomed out to 0.5: it shows 0..2800 x 0..1600, the margin 1400.
    expect(windowCells({ x: 0, y: 0, zoom: 0.5 }, view, 800)).toEqual({ x0: -2, y0: -2, x1: 5, y1: 3 });
    // A pan within the same cells changes nothing.
    expect(sameCells(windowCells({ x: -10, y: -10, zoom: 1 }, view, 800), windowCells({ x: -20, y: 0, zoom: 1 }, view, 800))).toBe(true);
    expect(sameCells(windowCells({ x: -900, y: 0, zoom: 1 }, view, 800), windowCells({ x: 0, y: 0, zoom: 1 }, view, 800))).toBe(false);
    expect(sameCells(null, { x0: 0, y0: 0, x1: 0, y1: 0 })).toBe(false);
    // A node's own cells: one, or those it straddles.
    expect(cellsOf({ x: 810, y: 100, width: 232, height: 68 }, 800)).toEqual({ x0: 1, y0: 0, x1: 1, y1: 0 });
    expect(cellsOf({ x: 700, y: 780, width: 232, height: 68 }, 800)).toEqual({ x0: 0, y0: 0, x1: 1, y1: 1 });
    expect(unionCells({ x0: 0, y0: 2, x1: 3, y1: 4 }, { x0: -1, y0: 3, x1: 2, y1: 9 })).toEqual({ x0: -1, y0: 2, x1: 3, y1: 9 });
  });
});

describe('jump to an asset', () => {
  const view = { width: 1400, height: 800 };
  const box = { x: 20_000, y: 9_000, width: 232, height: 68 };
  const centreOf = (vp: { x: number; y: number; zoom: number }) => ({ x: (box.x + box.width / 2) * vp.zoom + vp.x, y: (box.y + box.height / 2) * vp.zoom + vp.y });

  test('the end centres the asset, zoomed in to at least the minimum', () => {
    const { end } = jumpViewports({ x: 20, y: 20, zoom: 0.6 }, view, box, 0.9);
    expect(end.zoom).toBe(0.9);
    expect(centreOf(end).x).toBeCloseTo(700, 6);
    expect(centreOf(end).y).toBeCloseTo(400, 6);
    expect(jumpViewports({ x: 20, y: 20, zoom: 1.5 }, view, box, 0.9).end.zoom).toBe(1.5);
    expect(centreOn(box, view, 1)).toEqual(jumpViewports({ x: 0, y: 0, zoom: 1 }, view, box, 0.5).end);
  });

  test('a far asset is shown at once, off-centre on the side the move goes to, and whole', () => {
    const current = { x: 20, y: 20, zoom: 0.6 };
    expect(shows(current, view, box)).toBe(false);
    const { start, end } = jumpViewports(current, view, box, 0.9);
    expect(start).not.toBeNull();
    expect(shows(start!, view, box)).toBe(true);
    expect(start!.zoom).toBe(end.zoom);
    // Down and to the right of the current view: it starts right of and below the centre.
    const c = centreOf(start!);
    expect(c.x).toBeGreaterThan(700);
    expect(c.y).toBeGreaterThan(400);
    expect(Math.hypot((c.x - 700) / view.width, (c.y - 400) / view.height)).toBeLessThanOrEqual(GLIDE_SHARE + 1e-9);
    // Up and to the left: the other side.
    const back = jumpViewports({ x: -30_000, y: -20_000, zoom: 1 }, view, box, 0.9).start!;
    expect(centreOf(back).x).toBeLessThan(700);
    expect(centreOf(back).y).toBeLessThan(400);
  });

  test('an asset in view is glided to from where the view is', () => {
    const current = centreOn({ ...box, x: box.x + 300 }, view, 1);
    expect(shows(current, view, box)).toBe(true);
    expect(jumpViewports(current, view, box, 0.9).start).toBeNull();
  });
});
