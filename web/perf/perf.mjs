// Browser performance of the UI against the issue's targets (headless
// Chromium, medians of PERF_REPS repetitions):
//   graph    2,000 assets (groups expanded): navigation to the graph drawn,
//            click-to-focus, pan/zoom frames; 10,000 assets with groups
//            (collapsed): drawn, frames.
//   search   2,000 assets: Enter in the graph's search box to the asset
//            focused and drawn, and to it centred (after the jump's animation).
//   catalog  10,000 assets: each keystroke of a search typed one key at a
//            time, key press to the table showing its result (median, p95).
//   runlog   a run of ~100,000 log events streamed into /runs/<id>: the
//            tab's JS heap and the renderer's resident memory (peak), while
//            it streams and when the finished run is opened.
//   bar      a partition bar of 100,000 partitions: mount to drawn.
// Each figure is printed beside its target; the script exits non-zero when
// one is missed (and says which). Needs CAIRN_BIN and a built web/dist.
//   CAIRN_BIN=/path/to/cairn npm run perf
//   PERF_ONLY=catalog,search   scenarios (default: all of graph,search,catalog,runlog,bar)
//   PERF_REPS=5 PERF_SIZES=2000,10000 PERF_RUNLOG_TIMEOUT=300 (s) PERF_RUNLOG_DAYS=1000 (100 events each)
//
// Latencies are measured inside the page, from the input event's own
// timestamp to the end of the main thread's work (style, layout, paint) on
// the first frame that shows the result. A catalog keystroke is "settled":
// it waits also for React to have nothing left to render (a commit with no
// pending lanes, seen through the DevTools hook React calls on every
// commit), so a keystroke whose result equals the previous one still
// counts its deferred render. A pan or zoom step's frame time is the main
// thread's work for it: from its handler's start to the end of the frame's
// style, layout and paint (headless Chromium keeps vsync at 60 Hz whatever
// the flags, so the interval between frames cannot go below 16.7 ms: the
// intervals are reported as jank, above 20 ms a dropped frame).
// The run log's memory: CDP's JSHeapUsedSize for the tab, VmRSS and RssAnon
// (/proc) of the renderer process CDP's SystemInfo names, sampled every 0.5 s.
import { readFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectServedUi, gql, launchBrowser, removeDir, startCairn } from '../e2e/harness.mjs';

const REPS = Number(process.env.PERF_REPS ?? 5);
const SIZES = (process.env.PERF_SIZES ?? '2000,10000').split(',').map(Number);
const SCENARIOS = ['graph', 'search', 'catalog', 'runlog', 'bar'];
const ONLY = (process.env.PERF_ONLY ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
for (const s of ONLY) if (!SCENARIOS.includes(s)) throw new Error(`PERF_ONLY: unknown scenario ${s} (known: ${SCENARIOS.join(', ')})`);
const RUNLOG_TIMEOUT_MS = Number(process.env.PERF_RUNLOG_TIMEOUT ?? 300) * 1000;
/** The run log's failing partitions: 100 events each. */
const RUNLOG_DAYS = Number(process.env.PERF_RUNLOG_DAYS ?? 1000);
/** The catalog search typed one key at a time. */
const CATALOG_QUERY = process.env.PERF_CATALOG_QUERY ?? 'g12/l3';
/** The asset the search jumps to (far from the first view's top-left corner). */
const JUMP_KEY = 'g31/l2_5';
const MB = 1024 * 1024;

/** The issue's targets: milliseconds, or bytes for memory. */
const TARGETS = {
  drawn: { 2000: 1000, 10000: 2000 },
  clickFocus: 100,
  searchJump: 200,
  frame: 16,
  keystroke: 100,
  runLogMemory: 300 * MB,
  bar: 200,
};

// ---------------------------------------------------------------- projects

/** Groups of 50 assets in 5 layers of 10; layer 0 of most groups reads the previous group's last layer. */
export function generateProject(n) {
  const dir = mkdtempSync(join(tmpdir(), `cairn-perf-${n}-`));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'cairn.yaml'), `name: perf_${n}\ndatabase: sqlite://.cairn/cairn.db\ndata_dir: .cairn/data\n`);
  const groups = Math.ceil(n / 50);
  for (let g = 0; g < groups; g++) {
    const lines = ['assets:'];
    for (let l = 0; l < 5; l++) {
      for (let j = 0; j < 10; j++) {
        if (g * 50 + l * 10 + j >= n) break;
        let sql;
        if (l > 0) sql = `select a.x from g${g}.l${l - 1}_${j} a join g${g}.l${l - 1}_${(j * 7 + 3) % 10} b on a.x = b.x`;
        else if (g % 3 !== 0) sql = `select x from g${g - 1}.l4_${j}`;
        else sql = `select ${j} as x`;
        lines.push(`  - key: g${g}/l${l}_${j}`, `    sql: ${sql}`);
      }
    }
    writeFileSync(join(dir, 'assets', `g${g}.yaml`), lines.join('\n') + '\n');
  }
  return dir;
}

/** The keys generateProject(n) defines. */
export function projectKeys(n) {
  const keys = [];
  for (let i = 0; i < n; i++) keys.push(`g${Math.floor(i / 50)}/l${Math.floor((i % 50) / 10)}_${i % 10}`);
  return keys;
}

/**
 * A project whose one run writes ~100,000 log events. A command's output
 * reaches the run log only as its last 20 lines of stdout (one event) or
 * stderr (in the failure's event) (assets/engine/src/command.rs,
 * TAIL_LINES), so 100,000 printed lines make one or two events, not
 * 100,000. Instead: a daily command asset that fails (`false`) for each of
 * `days` partitions, read by `fanout` SQL assets of the same partitions; each
 * failure skips its partition's `fanout` downstream steps with one
 * STEP_SKIPPED event each (core/store/src/claims.rs), so the run writes
 * days * (fanout + 2) step events (start, failure, skips) as its steps fail
 * one after the other.
 */
export function generateRunLogProject(days = 1000, fanout = 98) {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-perf-runlog-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'cairn.yaml'), 'name: perf_runlog\ndatabase: sqlite://.cairn/cairn.db\ndata_dir: .cairn/data\n');
  const start = new Date(Date.UTC(2020, 0, 1));
  const end = new Date(start.getTime() + days * 86_400_000).toISOString().slice(0, 10);
  const partitions = `    partitions:\n      daily: { start: 2020-01-01, end: ${end} }`;
  const lines = ['assets:', '  - key: root', '    command: [false]', partitions];
  for (let i = 0; i < fanout; i++) lines.push(`  - key: leaf_${i}`, '    sql: select 1 as x', '    deps: [root]', partitions);
  writeFileSync(join(dir, 'assets', 'runlog.yaml'), lines.join('\n') + '\n');
  return { dir, expectedEvents: days * (fanout + 2) };
}

// ------------------------------------------------------------- statistics

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
};
const median = (xs) => quantile(xs, 0.5);
const p95 = (xs) => quantile(xs, 0.95);
const fmtMs = (ms) => (Number.isFinite(ms) ? `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms` : 'n/a');
const fmtMb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / MB).toFixed(0)} MB` : 'n/a');

/** Collected result rows; `target` set means a pass/fail verdict. */
const results = [];
function report(scenario, metric, value, { target, format = fmtMs, extra = '' } = {}) {
  const ok = target === undefined ? undefined : Number.isFinite(value) && value < target;
  const row = { scenario, metric, value: format(value), target: target === undefined ? '' : `< ${format(target)}`, verdict: ok === undefined ? '' : ok ? 'ok' : 'MISSED', note: extra };
  results.push(row);
  console.log(`  ${metric}: ${row.value}${row.target ? ` (target ${row.target}: ${row.verdict})` : ''}${extra ? ` — ${extra}` : ''}`);
}

// ------------------------------------------------------------ the browser

/**
 * Installed before the app loads: React's DevTools hook (React calls it on
 * every commit; `pendingLanes` of the root says whether work is left) and
 * `__perf`, which times an input event to a condition on the page.
 */
function pageProbe() {
  const commits = { last: 0, idle: true, count: 0 };
  window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    supportsFiber: true,
    renderers: new Map(),
    inject(renderer) {
      this.renderers.set(1, renderer);
      return 1;
    },
    onCommitFiberRoot(_id, root) {
      commits.last = performance.now();
      commits.idle = root.pendingLanes === 0;
      commits.count++;
    },
    onCommitFiberUnmount() {},
    onPostCommitFiberRoot() {},
    checkDCE() {},
  };
  const centredIn = (el, container, tolerance) => {
    const a = el.getBoundingClientRect();
    const b = container.getBoundingClientRect();
    return Math.abs(a.x + a.width / 2 - (b.x + b.width / 2)) <= tolerance && Math.abs(a.y + a.height / 2 - (b.y + b.height / 2)) <= tolerance;
  };
  /** Whether `c` holds: an element matches `selector` (with `text`, centred in `centredIn`), React idle since the event if `settled`. */
  const holds = (c, since) => {
    const el = document.querySelector(c.selector);
    if (!el) return false;
    if (c.text !== undefined && el.textContent.trim() !== c.text) return false;
    if (c.centredIn) {
      const box = document.querySelector(c.centredIn);
      if (!box || !centredIn(el, box, 2)) return false;
    }
    if (c.settled && !(commits.last >= since && commits.idle)) return false;
    return true;
  };
  window.__perf = {
    commits,
    /**
     * Arms a probe: the next `type` event (with `key`, if given) starts
     * it; each named condition is timed to the end of the main thread's
     * work on the first frame in which it holds (a task posted from the
     * frame's animation callbacks runs after its style, layout and paint).
     * `wait()` answers { name: ms } (null: timed out).
     */
    arm({ type, key, conditions, timeoutMs = 30_000 }) {
      let start = null;
      const onEvent = (e) => {
        if (start === null && (key === undefined || e.key === key)) start = e.timeStamp;
      };
      window.addEventListener(type, onEvent, true);
      const armedAt = performance.now();
      this.pending = new Promise((resolve) => {
        const out = {};
        const channel = new MessageChannel();
        const names = Object.keys(conditions);
        const finish = () => {
          window.removeEventListener(type, onEvent, true);
          for (const name of names) if (!(name in out)) out[name] = null;
          resolve(out);
        };
        channel.port1.onmessage = ({ data }) => {
          const now = performance.now();
          for (const name of data) out[name] = now - start;
          if (names.every((name) => name in out)) finish();
        };
        const seen = new Set();
        const frame = () => {
          if (start !== null) {
            const now = [];
            for (const name of names) if (!seen.has(name) && holds(conditions[name], start)) now.push(name);
            for (const name of now) seen.add(name);
            if (now.length) channel.port2.postMessage(now);
          }
          if (seen.size === names.length) return;
          if (performance.now() - armedAt > timeoutMs) finish();
          else requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      });
    },
    wait() {
      return this.pending;
    },
    /**
     * Records, for each wheel or drag move, its frame time: from its
     * handler's start (continuous input is dispatched at the start of a
     * frame) to the end of that frame's work on the main thread (a task
     * posted from the frame's animation callbacks runs after its style,
     * layout and paint). Also the intervals between frames.
     */
    recordFrames() {
      const latencies = [];
      const intervals = [];
      let waiting = [];
      let stop = false;
      const channel = new MessageChannel();
      const ends = [];
      channel.port1.onmessage = () => {
        const now = performance.now();
        for (const at of ends.shift() ?? []) latencies.push(now - at);
      };
      const onInput = (e) => {
        if (e.type === 'pointermove' && !e.buttons) return;
        waiting.push(performance.now());
      };
      window.addEventListener('wheel', onInput, { capture: true, passive: true });
      window.addEventListener('pointermove', onInput, true);
      let last = performance.now();
      const frame = (t) => {
        intervals.push(t - last);
        last = t;
        ends.push(waiting);
        waiting = [];
        channel.port2.postMessage(null);
        if (!stop) requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
      this.stopFrames = () => {
        stop = true;
        window.removeEventListener('wheel', onInput, true);
        window.removeEventListener('pointermove', onInput, true);
        return { latencies, intervals: intervals.slice(1) };
      };
    },
  };
}

async function newPerfPage(browser) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(pageProbe);
  page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
  return page;
}

/** Arms the page's probe, runs `act` (the input), and answers the conditions' times. */
async function timeInput(page, probe, act) {
  await page.evaluate((p) => window.__perf.arm(p), probe);
  await act();
  return page.evaluate(() => window.__perf.wait());
}

// -------------------------------------------------------------- scenarios

const GRAPH = '[data-testid="graph"]';
const focusedNode = (key) => `.gnode.focus[data-key="${key}"]`;

/** Opens the graph and waits for it drawn; answers the `cairn:graph-ready` mark (ms from navigation). */
async function openGraph(page, url, expectNodes) {
  await page.goto(`${url}/`);
  await page.waitForSelector(`${GRAPH}[data-ready="true"]`, { timeout: 120_000 });
  const ready = await page.evaluate(() => performance.getEntriesByName('cairn:graph-ready')[0].startTime);
  const count = Number(await page.getAttribute(GRAPH, 'data-node-count'));
  if (count !== expectNodes) throw new Error(`expected ${expectNodes} graph nodes, got ${count}`);
  return ready;
}

/** Wheel zooms and a drag over the canvas, with each step's frame time. */
async function panZoomFrames(page) {
  await page.evaluate(() => window.__perf.recordFrames());
  await page.mouse.move(700, 450);
  for (let i = 0; i < 10; i++) {
    await page.mouse.wheel(0, i < 5 ? -120 : 120);
    await page.waitForTimeout(30);
  }
  await page.mouse.down();
  for (let i = 0; i < 30; i++) {
    await page.mouse.move(700 - i * 12, 450 - i * 6);
    await page.waitForTimeout(8);
  }
  await page.mouse.up();
  await page.waitForTimeout(100);
  return page.evaluate(() => window.__perf.stopFrames());
}

/** One repetition on the graph: drawn, click-to-focus (expanded graphs), pan/zoom frames. */
async function measureGraph(browser, url, expectNodes, expanded) {
  const page = await newPerfPage(browser);
  try {
    const ready = await openGraph(page, url, expectNodes);
    const drawnNodes = await page.$$eval('.react-flow__node', (els) => els.length);
    let clickMs = NaN;
    if (expanded) {
      // An asset wholly in view (nodes near the viewport are drawn too).
      const key = await page.evaluate(() => {
        const view = document.querySelector('.graph-canvas').getBoundingClientRect();
        const inView = [...document.querySelectorAll('.gnode')].filter((el) => {
          const r = el.getBoundingClientRect();
          return r.left > view.left + 40 && r.right < view.right - 260 && r.top > view.top + 40 && r.bottom < view.bottom - 160;
        });
        return inView[Math.floor(inView.length / 2)]?.dataset.key;
      });
      if (!key) throw new Error('no asset node in view to click');
      const t = await timeInput(page, { type: 'click', conditions: { focus: { selector: focusedNode(key) }, settled: { selector: focusedNode(key), settled: true } } }, () => page.click(`.gnode[data-key="${key}"]`));
      clickMs = t.focus ?? NaN;
      console.log(`    click: focused ${fmtMs(t.focus)}, React idle ${fmtMs(t.settled)}`);
      await page.keyboard.press('Escape');
      await page.mouse.click(1300, 850); // the pane: focus cleared
    }
    const frames = await panZoomFrames(page);
    return { ready, drawnNodes, clickMs, frames };
  } finally {
    await page.close();
  }
}

async function graphScenario(browser, url, n) {
  const expanded = n <= 3000;
  const expectNodes = expanded ? n : Math.ceil(n / 50);
  console.log(`graph, ${n} assets${expanded ? '' : ' (groups collapsed)'}:`);
  await measureGraph(browser, url, expectNodes, expanded); // warm-up (server caches, browser cache)
  const runs = [];
  for (let i = 0; i < REPS; i++) runs.push(await measureGraph(browser, url, expectNodes, expanded));
  const name = `graph ${n}${expanded ? '' : ' (groups)'}`;
  report(name, 'navigation → drawn (median)', median(runs.map((r) => r.ready)), { target: TARGETS.drawn[n], extra: `${median(runs.map((r) => r.drawnNodes))} of ${expectNodes} nodes in the DOM` });
  if (expanded) report(name, 'click → focused (median)', median(runs.map((r) => r.clickMs)), { target: TARGETS.clickFocus });
  const latencies = runs.flatMap((r) => r.frames.latencies);
  const intervals = runs.flatMap((r) => r.frames.intervals);
  report(name, 'pan/zoom step → frame drawn (median)', median(latencies), { target: TARGETS.frame, extra: `p95 ${fmtMs(p95(latencies))}, ${latencies.length} steps` });
  const dropped = intervals.filter((x) => x > 20).length;
  report(name, 'frame interval while panning (p95)', p95(intervals), { extra: `${((100 * dropped) / intervals.length).toFixed(0)}% of ${intervals.length} frames over 20 ms, longest ${fmtMs(Math.max(...intervals))}` });
}

/** `/`, the key typed, Enter: Enter to the asset focused (and drawn), and to it centred. */
async function measureSearchJump(browser, url, expectNodes) {
  const page = await newPerfPage(browser);
  try {
    await openGraph(page, url, expectNodes);
    await page.keyboard.press('/');
    await page.keyboard.type(JUMP_KEY);
    await page.waitForSelector('.search-results li.active');
    const t = await timeInput(
      page,
      {
        type: 'keydown',
        key: 'Enter',
        conditions: {
          focused: { selector: focusedNode(JUMP_KEY) },
          settled: { selector: focusedNode(JUMP_KEY), settled: true },
          centred: { selector: focusedNode(JUMP_KEY), centredIn: '.graph-canvas' },
        },
      },
      () => page.keyboard.press('Enter'),
    );
    console.log(`    search: focused ${fmtMs(t.focused)}, React idle ${fmtMs(t.settled)}, centred ${fmtMs(t.centred)}`);
    return { focused: t.focused ?? NaN, centred: t.centred ?? NaN };
  } finally {
    await page.close();
  }
}

async function searchScenario(browser, url, n) {
  console.log(`search, ${n} assets: jump to ${JUMP_KEY}`);
  await measureSearchJump(browser, url, n);
  const runs = [];
  for (let i = 0; i < REPS; i++) runs.push(await measureSearchJump(browser, url, n));
  report(`search ${n}`, 'Enter → asset focused and drawn (median)', median(runs.map((r) => r.focused)), { target: TARGETS.searchJump });
  report(`search ${n}`, 'Enter → asset centred (median)', median(runs.map((r) => r.centred)), { extra: "includes the jump's 300 ms setCenter animation" });
}

/** Types CATALOG_QUERY one key at a time; each key's time to the table's result. */
async function measureCatalogTyping(browser, url, keys) {
  const page = await newPerfPage(browser);
  try {
    await page.goto(`${url}/catalog`);
    await page.waitForSelector('[data-testid="catalog-row"]', { timeout: 60_000 });
    const total = keys.length;
    const times = [];
    for (let i = 1; i <= CATALOG_QUERY.length; i++) {
      const q = CATALOG_QUERY.slice(0, i);
      const matching = keys.filter((k) => k.toLowerCase().includes(q.toLowerCase())).length;
      const text = matching === total ? `${total.toLocaleString('en-US')} assets` : `${matching.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} assets`;
      const t = await timeInput(page, { type: 'keydown', key: CATALOG_QUERY[i - 1], conditions: { shown: { selector: '[data-testid="catalog-count"]', text, settled: true } } }, () =>
        page.keyboard.type(CATALOG_QUERY[i - 1]),
      );
      times.push(t.shown ?? NaN);
      // The URL follows the filter 250 ms after the last key: let it, between keys.
      await page.waitForTimeout(400);
    }
    return times;
  } finally {
    await page.close();
  }
}

async function catalogScenario(browser, url, n) {
  console.log(`catalog, ${n} assets: typing ${JSON.stringify(CATALOG_QUERY)}`);
  const keys = projectKeys(n);
  await measureCatalogTyping(browser, url, keys);
  const times = [];
  for (let i = 0; i < REPS; i++) {
    const t = await measureCatalogTyping(browser, url, keys);
    console.log(`    keystrokes: ${t.map(fmtMs).join(', ')}`);
    times.push(...t);
  }
  report(`catalog ${n}`, 'keystroke → filtered table (median)', median(times), { target: TARGETS.keystroke, extra: `p95 ${fmtMs(p95(times))}, ${times.length} keystrokes` });
  report(`catalog ${n}`, 'keystroke → filtered table (p95)', p95(times));
}

/** The renderer processes' resident memory (VmRSS, RssAnon), from /proc via CDP's process list. */
async function rendererMemory(browserCdp) {
  const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
  let rss = 0;
  let anon = 0;
  for (const p of processInfo.filter((p) => p.type === 'renderer')) {
    try {
      const status = readFileSync(`/proc/${p.id}/status`, 'utf8');
      const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      rss = Math.max(rss, kb('VmRSS'));
      anon = Math.max(anon, kb('RssAnon'));
    } catch {
      // the process ended
    }
  }
  return { rss, anon };
}

/**
 * Opens /runs/<id> and samples memory every 500 ms until `lines` log lines
 * are shown (or the timeout); answers the peaks and when the lines were all shown.
 */
async function watchRunLog(browser, url, runId, until) {
  const page = await newPerfPage(browser);
  const cdp = await page.context().newCDPSession(page);
  const browserCdp = await browser.newBrowserCDPSession();
  await cdp.send('Performance.enable');
  const peak = { heap: 0, rss: 0, anon: 0, nodes: 0 };
  let shown = 0;
  const started = Date.now();
  let doneAt = null;
  try {
    await page.goto(`${url}/runs/${runId}`);
    while (Date.now() - started < RUNLOG_TIMEOUT_MS) {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
      const mem = await rendererMemory(browserCdp);
      peak.heap = Math.max(peak.heap, m.JSHeapUsedSize ?? 0);
      peak.nodes = Math.max(peak.nodes, m.Nodes ?? 0);
      peak.rss = Math.max(peak.rss, mem.rss);
      peak.anon = Math.max(peak.anon, mem.anon);
      const count = await page
        .locator('[data-testid="log-count"]')
        .textContent({ timeout: 1000 })
        .catch(() => null);
      shown = Number(/([\d,]+) lines/.exec(count ?? '')?.[1]?.replaceAll(',', '') ?? 0);
      if (shown >= (await until())) {
        doneAt = Date.now();
        break;
      }
      await page.waitForTimeout(500);
    }
    return { peak, shown, seconds: ((doneAt ?? Date.now()) - started) / 1000, complete: doneAt !== null };
  } finally {
    await browserCdp.detach().catch(() => {});
    await page.close();
  }
}

async function runStatus(url, id) {
  const { run } = await gql(url, 'query($id: ID!) { run(id: $id) { status } }', { id });
  return run.status;
}

async function runLogScenario(browser) {
  const { dir, expectedEvents } = generateRunLogProject(RUNLOG_DAYS);
  const cairn = await startCairn(dir, { timeoutMs: 600_000 });
  try {
    await expectServedUi(cairn.url);
    console.log(`run log: a run of about ${expectedEvents.toLocaleString('en-US')} events`);
    const launched = Date.now();
    const { materialize: run } = await gql(cairn.url, 'mutation { materialize(partitions: { all: true }) { id } }');
    // While it streams: the page is open from the launch; the lines to wait
    // for are known once the run has ended (its events then all counted).
    let finalCount = Infinity;
    const untilEnded = async () => {
      if (finalCount === Infinity && !['QUEUED', 'STARTED', 'CANCELING'].includes(await runStatus(cairn.url, run.id))) {
        finalCount = await eventCount(cairn.url, run.id);
        console.log(`  run ${run.id} ended after ${((Date.now() - launched) / 1000).toFixed(0)} s with ${finalCount.toLocaleString('en-US')} events`);
      }
      return finalCount;
    };
    const live = await watchRunLog(browser, cairn.url, run.id, untilEnded);
    reportRunLog('run log (streaming)', live, finalCount);
    // The run may still be going if the page gave up: wait for it before the second look.
    while (finalCount === Infinity) {
      await untilEnded();
      await new Promise((r) => setTimeout(r, 1000));
    }
    const after = await watchRunLog(browser, cairn.url, run.id, async () => finalCount);
    reportRunLog('run log (opened after)', after, finalCount);
  } finally {
    await cairn.stop();
    removeDir(dir);
  }
}

/** The run's events, counted by reading them all through the API (pages of 1,000, the most the API gives). */
async function eventCount(url, id) {
  let after = null;
  let count = 0;
  for (;;) {
    const { run } = await gql(url, 'query($id: ID!, $after: String) { run(id: $id) { events(first: 1000, after: $after) { nodes { cursor } pageInfo { hasNextPage endCursor } } } }', { id, after });
    count += run.events.nodes.length;
    if (!run.events.pageInfo.hasNextPage) return count;
    after = run.events.pageInfo.endCursor;
  }
}

function reportRunLog(name, r, total) {
  const progress = r.complete ? `all ${r.shown.toLocaleString('en-US')} lines shown after ${r.seconds.toFixed(0)} s` : `only ${r.shown.toLocaleString('en-US')} of ${Number.isFinite(total) ? total.toLocaleString('en-US') : '?'} lines shown after ${r.seconds.toFixed(0)} s (gave up)`;
  report(name, 'peak JS heap', r.peak.heap, { target: TARGETS.runLogMemory, format: fmtMb, extra: progress });
  report(name, 'peak renderer resident memory', r.peak.rss, { target: TARGETS.runLogMemory, format: fmtMb, extra: `anonymous ${fmtMb(r.peak.anon)}, peak DOM nodes ${r.peak.nodes.toLocaleString('en-US')}` });
  if (!r.complete) report(name, 'log shown in full', NaN, { target: RUNLOG_TIMEOUT_MS, extra: progress });
}

async function measureBar(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
    await page.goto(`${url}/__perf/bar?n=100000`);
    const el = await page.waitForSelector('[data-testid="perf-bar-result"]', { timeout: 30_000 });
    return { draw: Number(await el.getAttribute('data-draw')), total: Number(await el.getAttribute('data-total')) };
  } finally {
    await page.close();
  }
}

async function barScenario(browser, url) {
  console.log('partition bar, 100,000 partitions:');
  await measureBar(browser, url);
  const bars = [];
  for (let i = 0; i < REPS; i++) bars.push(await measureBar(browser, url));
  report('bar 100,000', 'mount → drawn (median)', median(bars.map((b) => b.total)), { target: TARGETS.bar, extra: `canvas draw ${fmtMs(median(bars.map((b) => b.draw)))}` });
}

// ------------------------------------------------------------------- main

/** Starts `cairn serve` on a generated project of n assets, runs `fn(url)`, stops it. */
async function withProject(n, fn) {
  const dir = generateProject(n);
  const started = Date.now();
  const cairn = await startCairn(dir, { timeoutMs: 600_000 });
  try {
    await expectServedUi(cairn.url);
    const { definitions } = await gql(cairn.url, '{ definitions { assetCount } }');
    console.log(`${n} assets: server ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${definitions.assetCount} assets)`);
    await fn(cairn.url);
  } finally {
    await cairn.stop();
    removeDir(dir);
  }
}

async function main() {
  const browser = await launchBrowser();
  const only = (s) => ONLY.includes(s);
  try {
    for (const n of SIZES) {
      const search = only('search') && n === 2000;
      const catalog = only('catalog') && n === 10000;
      if (!only('graph') && !search && !catalog) continue;
      await withProject(n, async (url) => {
        if (only('graph')) await graphScenario(browser, url, n);
        if (search) await searchScenario(browser, url, n);
        if (catalog) await catalogScenario(browser, url, n);
      });
    }
    if (only('runlog')) await runLogScenario(browser);
    if (only('bar')) await withProject(10, (url) => barScenario(browser, url)); // the bar needs the UI only
  } finally {
    await browser.close();
  }
  console.table(results);
  const missed = results.filter((r) => r.verdict === 'MISSED');
  if (missed.length) {
    console.error(`Targets missed:\n${missed.map((r) => `  ${r.scenario}: ${r.metric} ${r.value} (target ${r.target})`).join('\n')}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
