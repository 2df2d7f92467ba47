// Browser performance of the UI on synthetic projects:
//   - 2,000 assets (groups expanded) and 10,000 assets (groups collapsed):
//     time from navigation to the graph drawn and interactive, click-to-focus
//     latency, and frame times while panning and zooming;
//   - a partition bar of 100,000 partitions: render time.
// Prints medians of several repetitions. Needs CAIRN_BIN and a built web/dist.
//   CAIRN_BIN=/path/to/cairn npm run perf   (PERF_REPS=5, PERF_SIZES=2000,10000)
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectServedUi, gql, launchBrowser, removeDir, startCairn, stopProcess } from '../e2e/harness.mjs';

const REPS = Number(process.env.PERF_REPS ?? 5);
const SIZES = (process.env.PERF_SIZES ?? '2000,10000').split(',').map(Number);
const TARGETS = { 2000: 2000, 10000: 5000, bar: 200 };

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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => `${ms.toFixed(0)} ms`;

async function measureGraph(browser, url, expectNodes) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${url}/`);
  await page.waitForSelector('[data-testid="graph"][data-ready="true"]', { timeout: 60_000 });
  const ready = await page.evaluate(() => performance.getEntriesByName('cairn:graph-ready')[0].startTime);
  const drawn = await page.$$eval('.react-flow__node', (els) => els.length);
  const count = Number(await page.getAttribute('[data-testid="graph"]', 'data-node-count'));
  if (count !== expectNodes) throw new Error(`expected ${expectNodes} graph nodes, got ${count}`);
  // Interactive: a click on a node focuses it (upstream/downstream highlighted).
  const node = page.locator('.react-flow__node-asset, .react-flow__node-assetgroup').first();
  const t0 = Date.now();
  await node.click();
  await page.waitForSelector('.gnode.focus, [data-testid="focus-panel"], .gnode-group', { timeout: 10_000 });
  const clickMs = Date.now() - t0;
  await page.mouse.click(1300, 850); // pane: clear focus
  // Pan and zoom while recording frame intervals.
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => {
      window.__frames.push(t - last);
      last = t;
      if (window.__frames.length < 100000 && !window.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.mouse.move(700, 450);
  for (let i = 0; i < 10; i++) {
    await page.mouse.wheel(0, i < 5 ? -120 : 120);
    await page.waitForTimeout(30);
  }
  await page.mouse.down();
  for (let i = 0; i < 30; i++) await page.mouse.move(700 - i * 12, 450 - i * 6);
  await page.mouse.up();
  await page.waitForTimeout(100);
  const frames = await page.evaluate(() => {
    window.__stop = true;
    return window.__frames.slice(1);
  });
  await page.close();
  const sorted = [...frames].sort((a, b) => a - b);
  return { ready, drawn, clickMs, frameMedian: median(frames), frameP95: sorted[Math.floor(sorted.length * 0.95)] ?? 0 };
}

async function measureBar(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${url}/__perf/bar?n=100000`);
  const el = await page.waitForSelector('[data-testid="perf-bar-result"]', { timeout: 30_000 });
  const draw = Number(await el.getAttribute('data-draw'));
  const total = Number(await el.getAttribute('data-total'));
  await page.close();
  return { draw, total };
}

async function main() {
  const browser = await launchBrowser();
  const results = [];
  let failed = false;
  try {
    for (const n of SIZES) {
      const dir = generateProject(n);
      const started = Date.now();
      const cairn = await startCairn(dir, { timeoutMs: 600_000 });
      try {
        await expectServedUi(cairn.url);
        const { definitions } = await gql(cairn.url, '{ definitions { assetCount } }');
        console.log(`${n} assets: server ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${definitions.assetCount} assets)`);
        const collapsed = n > 3000;
        const expectNodes = collapsed ? Math.ceil(n / 50) : n;
        await measureGraph(browser, cairn.url, expectNodes); // warm-up (server caches, browser cache)
        const runs = [];
        for (let i = 0; i < REPS; i++) runs.push(await measureGraph(browser, cairn.url, expectNodes));
        const ready = median(runs.map((r) => r.ready));
        const row = {
          case: `${n} assets${collapsed ? ' (groups collapsed)' : ''}`,
          nodes: expectNodes,
          'ready (median)': fmt(ready),
          target: fmt(TARGETS[n] ?? 5000),
          'click→focus': fmt(median(runs.map((r) => r.clickMs))),
          'frame median': fmt(median(runs.map((r) => r.frameMedian))),
          'frame p95': fmt(median(runs.map((r) => r.frameP95))),
          'DOM nodes drawn': median(runs.map((r) => r.drawn)),
        };
        if (ready > (TARGETS[n] ?? 5000)) failed = true;
        results.push(row);
        console.log(row);
      } finally {
        await cairn.stop();
        removeDir(dir);
      }
    }
    // The bar needs the UI only: any cairn project will do.
    const dir = generateProject(10);
    const cairn = await startCairn(dir);
    try {
      await expectServedUi(cairn.url);
      await measureBar(browser, cairn.url);
      const bars = [];
      for (let i = 0; i < REPS; i++) bars.push(await measureBar(browser, cairn.url));
      const draw = median(bars.map((b) => b.draw));
      const total = median(bars.map((b) => b.total));
      const row = { case: 'partition bar, 100,000 partitions', 'draw (median)': fmt(draw), 'mount→drawn (median)': fmt(total), target: fmt(TARGETS.bar) };
      if (total > TARGETS.bar) failed = true;
      results.push(row);
      console.log(row);
    } finally {
      await cairn.stop();
      removeDir(dir);
    }
  } finally {
    await browser.close();
  }
  console.table(results);
  if (failed) {
    console.error('A target was missed.');
    process.exitCode = 1;
  }
}

void stopProcess;
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
