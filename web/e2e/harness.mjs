// Shared by the e2e tests and the perf script: starts `$CAIRN_BIN serve`
// on a project copy, serves web/dist (index.html fallback) with /graphql
// proxied (HTTP and WebSocket) unless the cairn server already serves
// the UI, and launches headless Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(WEB_DIR, 'dist');

export function cairnBin() {
  const bin = process.env.CAIRN_BIN;
  if (!bin) throw new Error('CAIRN_BIN is not set: point it at a built `cairn` binary (e.g. CAIRN_BIN=/tmp/cairn-bin/cairn npm run e2e)');
  if (!existsSync(bin)) throw new Error(`CAIRN_BIN=${bin} does not exist`);
  return bin;
}

/** Copies ../examples/flights (without .cairn) to a temp dir. */
export function copyExample(name = 'flights') {
  const dir = mkdtempSync(join(tmpdir(), `cairn-e2e-${name}-`));
  cpSync(join(WEB_DIR, '..', 'examples', name), dir, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('.cairn') });
  return dir;
}

/** Starts `cairn serve` and resolves once it prints `listening on http://...`. */
export function startCairn(projectDir, { extraArgs = [], timeoutMs = 120_000 } = {}) {
  const bin = cairnBin();
  const child = spawn(bin, ['serve', '--project', projectDir, '--bind', '127.0.0.1:0', '--no-progress', '--color', 'never', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cairn serve did not print "listening on" within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.on('data', () => {});
        child.stderr.on('data', () => {});
        resolvePromise({ url: m[1], child, stop: () => stopProcess(child) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => (output += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cairn serve exited with ${code}:\n${output}`));
    });
  });
}

export function stopProcess(child) {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png', '.ico': 'image/x-icon' };

/** Whether the cairn server serves this build of the UI itself. */
async function serverHasUi(target) {
  try {
    const res = await fetch(`${target}/`);
    const text = await res.text();
    const ours = readFileSync(join(DIST, 'index.html'), 'utf8');
    return res.ok && text.trim() === ours.trim();
  } catch {
    return false;
  }
}

/**
 * The URL to open the UI at: the cairn server itself when it serves this
 * build, else a static server of web/dist proxying /graphql to it.
 */
export async function uiServer(target) {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  if (process.env.CAIRN_UI_DIRECT !== '0' && (await serverHasUi(target))) return { url: target, close: async () => {} };
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/graphql')) {
      const proxied = http.request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      proxied.on('error', (e) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(e));
      });
      req.pipe(proxied);
      return;
    }
    let file = join(DIST, decodeURIComponent(url.pathname));
    if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(file));
  });
  // WebSocket upgrades: a raw TCP pipe to the cairn server.
  server.on('upgrade', (req, socket, head) => {
    const up = net.connect(Number(upstream.port), upstream.hostname, () => {
      const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n');
      up.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers}\r\n\r\n`);
      if (head?.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A GraphQL request (no token). */
export async function gql(url, query, variables = {}) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath} (set CHROMIUM)`);
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export function screenshotsDir() {
  return process.env.CAIRN_SCREENSHOTS || resolve(WEB_DIR, '..', 'target', 'ui-screenshots');
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}
