// Runs the layout in a Web Worker (falls back to the main thread where
// workers are unavailable).
import type { LayoutInput } from './graphModel';
import { runLayout, type LayoutResult } from './layout';

let worker: Worker | null = null;
let nextId = 1;
const waiting = new Map<number, { resolve: (r: LayoutResult) => void; reject: (e: Error) => void }>();

function getWorker(): Worker | null {
  if (worker) return worker;
  if (typeof Worker === 'undefined') return null;
  try {
    worker = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<{ id: number; result?: LayoutResult; error?: string }>) => {
      const w = waiting.get(event.data.id);
      if (!w) return;
      waiting.delete(event.data.id);
      if (event.data.result) w.resolve(event.data.result);
      else w.reject(new Error(event.data.error ?? 'layout failed'));
    };
    return worker;
  } catch {
    return null;
  }
}

export function layoutAsync(input: LayoutInput): Promise<LayoutResult> {
  // Small graphs: not worth a round trip.
  const w = input.nodes.length > 60 ? getWorker() : null;
  if (!w) return Promise.resolve().then(() => runLayout(input));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    w.postMessage({ id, input });
  });
}
