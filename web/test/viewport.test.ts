import { describe, expect, test } from 'vitest';
import { fitBounds } from '../src/lib/viewport';

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
