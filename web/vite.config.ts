import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The cairn server to proxy to in development (`cairn serve` prints it).
const target = process.env.CAIRN_URL ?? 'http://127.0.0.1:3000';

/**
 * An inline script in index.html that starts the home page's lineage
 * request before the bundle is even parsed (see src/api/prefetched.ts).
 * The query text comes from src/api/lineageQuery.ts, so it stays one.
 */
function prefetchLineage(): Plugin {
  return {
    name: 'cairn-prefetch-lineage',
    transformIndexHtml() {
      const source = readFileSync(new URL('./src/api/lineageQuery.ts', import.meta.url), 'utf8');
      const match = /`([\s\S]*?)`/.exec(source);
      if (!match) throw new Error('src/api/lineageQuery.ts: no query template');
      const query = match[1].replace(/\s+/g, ' ').trim();
      const code = `(function () {
  if (location.pathname !== '/') return;
  var selection = new URLSearchParams(location.search).get('selection') || null;
  var headers = { 'content-type': 'application/json' };
  try { var t = localStorage.getItem('cairn.token'); if (t) headers.authorization = 'Bearer ' + t; } catch (e) {}
  var promise = fetch('/graphql', { method: 'POST', headers: headers, body: JSON.stringify({ query: ${JSON.stringify(query)}, variables: { selection: selection, depth: 0 }, operationName: 'Lineage' }) })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status)); });
  promise.catch(function () {});
  window.__cairnPrefetch = { selection: selection, promise: promise };
})();`;
      return [{ tag: 'script', children: code, injectTo: 'head-prepend' }];
    },
  };
}

export default defineConfig({
  plugins: [react(), prefetchLineage()],
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: {
      '/graphql/ws': { target: target.replace(/^http/, 'ws'), ws: true },
      '/graphql': { target },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
