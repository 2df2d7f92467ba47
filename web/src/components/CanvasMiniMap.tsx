// A minimap drawn on a canvas from the layout positions: cheap at 10,000
// nodes (xyflow's SVG minimap re-renders every node). Click or drag to pan.
import { useEffect, useRef, type PointerEvent } from 'react';
import { useReactFlow, useStore } from '@xyflow/react';

export interface MiniMapItem {
  x: number;
  y: number;
  width: number;
  height: number;
  color: string;
}

const W = 220;
const H = 150;

export function CanvasMiniMap({ items, bounds }: { items: readonly MiniMapItem[]; bounds: { width: number; height: number } }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const flow = useReactFlow();
  const [tx, ty, zoom] = useStore((s) => s.transform);
  const vw = useStore((s) => s.width);
  const vh = useStore((s) => s.height);
  const scale = Math.min(W / Math.max(bounds.width, 1), H / Math.max(bounds.height, 1));

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = W * dpr;
    c.height = H * dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    for (const it of items) {
      ctx.fillStyle = it.color;
      ctx.fillRect(it.x * scale, it.y * scale, Math.max(1, it.width * scale), Math.max(1, it.height * scale));
    }
  }, [items, scale]);

  // The viewport in flow coordinates.
  const view = { x: -tx / zoom, y: -ty / zoom, w: vw / zoom, h: vh / zoom };
  const panTo = (event: PointerEvent) => {
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    const fx = (event.clientX - rect.left) / scale;
    const fy = (event.clientY - rect.top) / scale;
    void flow.setCenter(fx, fy, { zoom: flow.getZoom() });
  };
  return (
    <div
      className="cminimap"
      style={{ width: W, height: H }}
      onPointerDown={(e) => {
        (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
        panTo(e);
      }}
      onPointerMove={(e) => e.buttons === 1 && panTo(e)}
      aria-label="Minimap"
      data-testid="minimap"
    >
      <canvas ref={canvas} style={{ width: W, height: H }} />
      <div
        className="cminimap-view"
        style={{ left: view.x * scale, top: view.y * scale, width: Math.max(4, view.w * scale), height: Math.max(4, view.h * scale) }}
      />
    </div>
  );
}
