// Browser tests of the Fleet page: real monitors (HTTP probes at a loopback service this test
// runs, whose health and latency it changes) put through the API, run through the API, then the
// page: cards, sparklines, the breach's open alert and its link to the inbox, a monitor's history
// panel with "Check now", the search, and the empty state of a workspace without monitors.
import http from 'node:http';

/** A loopback service: `/<app>/healthz` answers 200 after `latency[app]` ms, or 503 when `down[app]`. */
export async function startTargets() {
  const latency = {};
  const down = {};
  const hits = {};
  const server = http.createServer((req, res) => {
    const app = (req.url ?? '').split('/')[1] ?? '';
    hits[app] = (hits[app] ?? 0) + 1;
    setTimeout(() => {
      const bad = !!down[app];
      const body = JSON.stringify(bad ? { status: 'down', app } : { status: 'ok', app });
      res.writeHead(bad ? 503 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, latency[app] ?? 0);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: (app) => `http://127.0.0.1:${port}/${app}/healthz`,
    latency,
    down,
    hits,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

const probe = (id, app, url, over = {}) => ({
  id, app, kind: 'http_probe',
  // the hosts' background loops leave these to the test once they have been checked
  interval_secs: 3600,
  config: { url, expect_status: 200, max_latency_ms: 2000 },
  breach_after: 2, recover_after: 1, severity: 'critical', environment: 'production',
  ...over,
});

export async function fleetChecks({ check, page, api, BASE, WS, assert, shot, uniq }) {
  const targets = await startTargets();
  const ws = encodeURIComponent(WS);
  const suffix = uniq();
  const store = `storefront-${suffix}`;
  const pay = `payments-${suffix}`;
  const run = (id) => api.call('POST', `/api/workspaces/${ws}/monitors/${encodeURIComponent(id)}/run`);
  try {
    await check('fleet: monitors put through the API, checked, shown per app with sparklines and alerts', async () => {
      // keep what the workspace already has (the demo's own monitors), add two apps
      const before = await api.call('GET', `/api/workspaces/${ws}/monitors`);
      const doc = {
        apps: [
          ...before.apps,
          { name: store, health_urls: [targets.url(store), `${targets.url(store)}?deep=1`], links: { runbook: 'https://runbooks.example.com/storefront' } },
          { name: pay, health_urls: [targets.url(pay)] },
        ],
        monitors: [
          ...before.monitors,
          probe(`${store}-health`, store, targets.url(store)),
          probe(`${pay}-health`, pay, targets.url(pay), { breach_after: 2 }),
        ],
      };
      const stored = await api.call('PUT', `/api/workspaces/${ws}/monitors`, doc);
      assert(stored.monitors.some((m) => m.id === `${store}-health`), 'the monitor is stored');
      // a latency history with one failed check for the storefront
      const lat = [22, 35, 28, 60, 41, 33, 90, 47, 38, 30, 52, 36];
      for (let i = 0; i < lat.length; i++) {
        targets.latency[store] = lat[i];
        targets.down[store] = i === 6;
        await run(`${store}-health`);
      }
      targets.down[store] = false;
      const healthy = await run(`${store}-health`);
      assert(healthy.state === 'ok' && healthy.reading.ok, `storefront ok: ${JSON.stringify(healthy.reading)}`);
      assert(healthy.history.length >= 10, `history kept: ${healthy.history.length}`);
      // payments: fine, then failing twice in a row -> breach, an alert of source monitor
      for (let i = 0; i < 5; i++) {
        targets.latency[pay] = 15 + i * 4;
        await run(`${pay}-health`);
      }
      targets.down[pay] = true;
      await run(`${pay}-health`);
      const breached = await run(`${pay}-health`);
      assert(breached.breaching && breached.group_id, `payments breaching: ${JSON.stringify(breached)}`);

      await page.goto(`${BASE}/w/${ws}/fleet`);
      const storeCard = page.locator(`article[data-app="${store}"]`);
      const payCard = page.locator(`article[data-app="${pay}"]`);
      await payCard.waitFor();
      await payCard.getByText('Breaching', { exact: true }).first().waitFor();
      await payCard.getByText(/1 open alert/).waitFor();
      await storeCard.getByText('Healthy', { exact: true }).first().waitFor();
      await storeCard.getByTestId('sparkline').waitFor();
      // the sparkline is drawn (an SVG path), and the failed check is counted
      await storeCard.locator('[data-testid="sparkline"] svg path').first().waitFor();
      // 13 checks by the test (a background check right after the put may add one), one failed
      const spark = await storeCard.getByTestId('sparkline').getAttribute('aria-label');
      const m = /(\d+) checks, (\d+) failed/.exec(spark ?? '');
      assert(m && Number(m[1]) >= 13 && Number(m[1]) <= 14 && m[2] === '1', `sparkline label: ${spark}`);
      // the health URL that no probe checks is listed as such
      await storeCard.getByText('no probe').waitFor();
      // worst first: the breaching app comes before the healthy one
      const order = await page.locator('article[data-app]').evaluateAll((els) => els.map((e) => e.getAttribute('data-app')));
      assert(order.indexOf(pay) < order.indexOf(store), `order ${order.join(', ')}`);
      const kpi = await page.getByTestId('fleet-summary').innerText();
      assert(/Breaching\s*\n?\s*[1-9]/.test(kpi), `summary: ${kpi}`);
      await page.waitForTimeout(200);
      await shot(page, 'fleet');
    });

    await check("fleet: an app's open alerts link to the inbox filtered by the app", async () => {
      await page.goto(`${BASE}/w/${ws}/fleet`);
      const payCard = page.locator(`article[data-app="${pay}"]`);
      await payCard.getByRole('link', { name: new RegExp(`^1 open alert: ${pay} in the inbox$`) }).click();
      await page.waitForURL(/\/inbox\?/);
      const url = new URL(page.url());
      assert(url.searchParams.get('project') === pay, `inbox filtered by project: ${page.url()}`);
      const rows = page.locator('.grid-row');
      await rows.first().waitFor();
      assert((await rows.count()) === 1, `one alert of ${pay}, got ${await rows.count()}`);
      await rows.first().getByText('monitor', { exact: true }).waitFor();
    });

    await check("fleet: a monitor's history panel, Check now, recovery", async () => {
      await page.goto(`${BASE}/w/${ws}/fleet`);
      const payCard = page.locator(`article[data-app="${pay}"]`);
      await payCard.getByRole('button', { name: `Monitor ${pay}-health: Breaching` }).click();
      await page.waitForURL(new RegExp(`monitor=${pay}-health`));
      const panel = page.getByTestId('monitor-detail');
      await panel.waitFor();
      await panel.getByTestId('monitor-history').locator('svg').first().waitFor();
      const hist = await panel.getByTestId('monitor-history').getAttribute('aria-label');
      const h = /(\d+) checks, (\d+) failed/.exec(hist ?? '');
      assert(h && Number(h[1]) >= 7 && Number(h[1]) <= 8 && h[2] === '2', `history label: ${hist}`);
      await panel.getByRole('link', { name: /open alert group/ }).waitFor();
      await shot(page, 'fleet-monitor');
      // the target recovers: Check now resolves the alert (recover_after 1)
      targets.down[pay] = false;
      const hitsBefore = targets.hits[pay] ?? 0;
      await panel.getByRole('button', { name: 'Check now' }).click();
      await panel.getByText('none open').waitFor();
      assert((targets.hits[pay] ?? 0) === hitsBefore + 1, 'Check now probed the target once');
      await page.getByRole('button', { name: 'Close' }).click();
      await page.waitForURL((u) => !u.searchParams.has('monitor'));
      await payCard.getByText('Healthy', { exact: true }).first().waitFor();
      // a link to the panel opens it on load
      await page.goto(`${BASE}/w/${ws}/fleet?monitor=${encodeURIComponent(`${store}-health`)}`);
      await page.getByTestId('monitor-detail').getByText(/checks, ms/).waitFor();
      await page.keyboard.press('Escape');
    });

    await check('fleet: search and "needs attention" keep to the URL', async () => {
      await page.goto(`${BASE}/w/${ws}/fleet`);
      await page.getByRole('searchbox', { name: 'Find an app or monitor' }).fill(store);
      await page.waitForURL(new RegExp(`q=${store}`));
      await page.locator(`article[data-app="${store}"]`).waitFor();
      assert((await page.locator('article[data-app]').count()) === 1, 'one app matches');
      await page.reload();
      await page.locator(`article[data-app="${store}"]`).waitFor();
      assert((await page.locator('article[data-app]').count()) === 1, 'the search survives a reload');
      await page.getByRole('button', { name: 'Needs attention' }).click();
      await page.waitForURL(/show=attention/);
      await page.getByText('Every app is healthy').waitFor();
    });

    await check('fleet: a workspace without monitors says how to add them', async () => {
      const name = `fleetless-${uniq()}`;
      await api.call('POST', '/api/workspaces', { name });
      await page.goto(`${BASE}/w/${encodeURIComponent(name)}/fleet`);
      await page.getByRole('heading', { name: 'No monitors yet' }).waitFor();
      await page.getByText(`signalcraft monitor put ${name} monitors.json`).waitFor();
      await page.getByText(new RegExp(`/api/workspaces/${name}/monitors`)).waitFor();
      await shot(page, 'fleet-empty');
    });

    await check('fleet: dark mode and 375 px', async () => {
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.goto(`${BASE}/w/${ws}/fleet`);
      await page.locator(`article[data-app="${pay}"]`).waitFor();
      await page.waitForTimeout(200);
      await shot(page, 'fleet-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 375, height: 812 });
      await page.goto(`${BASE}/w/${ws}/fleet`);
      await page.locator(`article[data-app="${pay}"]`).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
      await shot(page, 'fleet-375');
      await page.setViewportSize({ width: 1440, height: 900 });
    });
  } finally {
    await targets.close();
  }
  return `${pay}-health`;
}
