// Measures the inbox with many groups in Chromium: seeds N groups through the webhook route (a
// new Alertmanager alert each), then from a cold page load: time to the first rows, time to
// interactive (first rows shown and no long task for 500 ms after), and scrolling through all of
// them (pages fetched as you scroll; frame times while scrolling).
//   BASE=... PASSWORD=... [WS=demo] [N=10000] node tests/browser/tti.mjs
import { launch } from './lib.mjs';
import { alertBody, postWebhook, session } from './api.mjs';

const BASE = process.env.BASE;
const WS = process.env.WS ?? 'demo';
const N = Number(process.env.N ?? 10000);
const api = await session(BASE, process.env.EMAIL ?? 'owner@example.com', process.env.PASSWORD);
const key = (await api.call('POST', `/api/workspaces/${WS}/integrations/alertmanager/keys`)).key;

const have = async () => {
  let n = 0;
  let cursor = null;
  do {
    const page = await api.call('GET', `/api/workspaces/${WS}/groups?status=open&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    n += page.groups.length;
    cursor = page.next_cursor;
  } while (cursor);
  return n;
};
let open = await have();
if (open < N) {
  // Seeding is faster than the default ingest rate limit: lift it for the seeding, then restore it.
  const before = await api.call('GET', `/api/workspaces/${WS}/settings`);
  await api.call('PATCH', `/api/workspaces/${WS}/settings`, { ingest_rate_limit: { per_min: 10_000_000, burst: 1_000_000 } });
  const t0 = Date.now();
  const todo = N - open;
  let next = 0;
  const sev = ['critical', 'error', 'warning', 'info'];
  const worker = async () => {
    while (next < todo) {
      const i = next++;
      await postWebhook(BASE, WS, 'alertmanager', key, alertBody({ title: `Synthetic ${i} latency p99 over budget`, severity: sev[i % 4], service: `svc-${i % 37}` }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await api.call('PATCH', `/api/workspaces/${WS}/settings`, { ingest_rate_limit: before.ingest_rate_limit });
  console.log(`seeded ${todo} groups through POST /webhooks in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  open = await have();
}
console.log(`open groups: ${open}`);

const ctx = await launch();
const url = new URL(BASE);
await ctx.addCookies([{ name: 'sc_session', value: api.cookie.split('=').slice(1).join('='), domain: url.hostname, path: '/', httpOnly: true, sameSite: 'Strict' }]);
const page = ctx.pages()[0] ?? (await ctx.newPage());
await page.addInitScript(() => {
  window.__long = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.startTime + e.duration); }).observe({ type: 'longtask', buffered: true });
});
const results = [];
for (let run = 0; run < 3; run++) {
  await page.goto('about:blank');
  await page.goto(`${BASE}/w/${WS}/inbox?status=open`, { waitUntil: 'commit' });
  await page.locator('.grid-row').first().waitFor({ timeout: 30_000 });
  const firstRows = await page.evaluate(() => performance.now());
  // Interactive: the rows are there and the main thread has had 500 ms without a long task.
  await page.waitForFunction(() => {
    const last = Math.max(0, ...window.__long);
    return performance.now() - Math.max(last, 0) > 500;
  }, null, { timeout: 30_000, polling: 100 });
  const lastLong = await page.evaluate(() => Math.max(0, ...window.__long));
  results.push({ firstRows, tti: Math.max(firstRows, lastLong) });
}
results.sort((a, b) => a.tti - b.tti);
const med = results[1];
console.log(`inbox with ${open} open groups: first rows ${med.firstRows.toFixed(0)} ms, time to interactive ${med.tti.toFixed(0)} ms (median of 3 cold loads)`);

// Scroll through everything: pages of 200 load as the end comes near.
const t0 = Date.now();
const frames = await page.evaluate(async (total) => {
  const grid = document.querySelector('.grid');
  const deltas = [];
  let last = performance.now();
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline) {
    grid.scrollTop += 1800;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    deltas.push(now - last);
    last = now;
    const loaded = Number((document.querySelector('[data-testid=row-count]')?.textContent ?? '0').replace(/[^0-9]/g, ''));
    if (loaded >= total && grid.scrollTop + grid.clientHeight >= grid.scrollHeight - 2) break;
  }
  deltas.sort((a, b) => a - b);
  return { n: deltas.length, p50: deltas[Math.floor(deltas.length / 2)], p95: deltas[Math.floor(deltas.length * 0.95)] };
}, open);
console.log(`scrolled through ${open} groups in ${((Date.now() - t0) / 1000).toFixed(1)} s; frame time p50 ${frames.p50.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms over ${frames.n} frames`);
// Then back up through the loaded rows (no fetching): what a user scrolling the list feels.
const back = await page.evaluate(async (step) => {
  const grid = document.querySelector('.grid');
  const deltas = [];
  let last = performance.now();
  for (let i = 0; i < 300 && grid.scrollTop > 0; i++) {
    grid.scrollTop -= step;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    deltas.push(now - last);
    last = now;
  }
  deltas.sort((a, b) => a - b);
  return { n: deltas.length, p50: deltas[Math.floor(deltas.length / 2)], p95: deltas[Math.floor(deltas.length * 0.95)] };
}, 120);
console.log(`scrolling the ${open} loaded rows like a wheel (120 px a frame): frame time p50 ${back.p50.toFixed(1)} ms, p95 ${back.p95.toFixed(1)} ms over ${back.n} frames`);
await ctx.close();
