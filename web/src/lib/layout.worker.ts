// Web Worker: lays out off the main thread so the page stays responsive.
import { runLayout } from './layout';
import type { LayoutInput } from './graphModel';

self.onmessage = (event: MessageEvent<{ id: number; input: LayoutInput }>) => {
  const { id, input } = event.data;
  try {
    const result = runLayout(input);
    (self as unknown as Worker).postMessage({ id, result });
  } catch (error) {
    (self as unknown as Worker).postMessage({ id, error: String(error) });
  }
};
