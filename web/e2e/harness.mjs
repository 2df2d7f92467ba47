// Shared by the e2e tests and the perf script: starts `$CAIRN_BIN serve`
// on a project copy (with a minimal environment), checks that it serves
// this build's UI itself (no fallback server: the tests drive exactly what
// a user runs), and launches headless Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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

/**
 * The environment `cairn serve` gets: what a process needs to run (and the
 * project's command assets, e.g. python3, to be found), nothing of the
 * caller's Cairn settings (an inherited CAIRN_DATABASE_URL would send the
 * server's writes to another store, CAIRN_API_TOKEN would change the API).
 */
export function serverEnv() {
  const env = { NO_COLOR: '1' };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'RUST_BACKTRACE', 'RUST_LOG']) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}

/** Starts `cairn serve` and resolves once it prints `listening on http://...`. */
export function startCairn(projectDir, { extraArgs = [], timeoutMs = 120_000 } = {}) {
  const bin = cairnBin();
  const child = spawn(bin, ['serve', '--project', projectDir, '--bind', '127.0.0.1:0', '--no-progress', '--color', 'never', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: serverEnv(),
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

/**
 * Checks that the cairn server at `url` serves this build's UI itself:
 * `/` must answer web/dist/index.html. There is no fallback: the browser
 * tests and the perf script drive exactly what a user runs.
 */
export async function expectServedUi(url) {
  const indexPath = join(DIST, 'index.html');
  if (!existsSync(indexPath)) throw new Error('web/dist/index.html is missing: run `npm run build` (cargo build runs it too)');
  const ours = readFileSync(indexPath, 'utf8');
  let res;
  try {
    res = await fetch(`${url}/`);
  } catch (e) {
    throw new Error(`cairn serve at ${url} does not answer GET /: ${e}`);
  }
  const text = await res.text();
  if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/html')) {
    throw new Error(`cairn serve at ${url} does not serve the web UI: GET / answered ${res.status} ${res.headers.get('content-type')}:\n${text.slice(0, 500)}`);
  }
  if (text !== ours) {
    throw new Error(
      `cairn serve at ${url} serves another build of the UI than web/dist (GET / differs from web/dist/index.html): ` +
        `rebuild the binary (${process.env.CAIRN_BIN}) after \`npm run build\`, or build it with cargo, which builds the UI`,
    );
  }
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
