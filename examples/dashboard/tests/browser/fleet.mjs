// Browser tests of the Fleet page: real monitors (HTTP probes at a loopback service this test
// runs, whose health and latency it changes) put through the API, run through the API, then the
// page: cards, sparklines, the breach's open alert and its link to the inbox, a monitor's history
// panel with "Check now", the search, and the empty state of a workspace without monitors.
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The monitor clients' fixtures: the documented response shapes of each API (sources in their README). */
const FIXTURES = join(new URL('.', import.meta.url).pathname, '..', '..', '..', '..', 'core', 'tests', 'fixtures', 'monitors');
/** Around when the fixtures were recorded; their times are moved by (now - this), so they read as recent. */
const RECORDED = Date.parse('2026-03-01T12:30:00Z');
const MANIFEST_DIGEST = 'sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270';
const CONFIG_DIGEST = 'sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7';

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

/** A fixture's text with every RFC 3339 time moved by `shift` ms. */
function shifted(rel, shift) {
  const text = readFileSync(join(FIXTURES, rel), 'utf8');
  return text.replace(/\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)/g, (m) => {
    const t = Date.parse(m);
    return Number.isNaN(t) || t < Date.parse('2020-01-01T00:00:00Z') ? m : new Date(t + shift).toISOString().replace('.000Z', 'Z');
  });
}

async function listen(handler) {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const out = handler(u) ?? { status: 404, body: '{"message":"not found"}' };
    res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) });
    res.end(out.body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

/**
 * Loopback Gitea, Docker registry, Kubernetes API, Hetzner Cloud and OpenAI serving the monitor
 * clients' recorded fixtures (their times moved to now), for the other kinds of monitors; null
 * when the fixtures are not in the tree.
 */
export async function startServices() {
  if (!existsSync(FIXTURES)) return null;
  const shift = Date.now() - RECORDED;
  const ok = (rel, headers) => ({ status: 200, body: shifted(rel, shift), headers });
  const gitea = await listen((u) => ({
    '/api/v1/repos/acme/api': () => ok('gitea/repo.json'),
    '/api/v1/repos/acme/api/commits': () => ok('gitea/commits.json'),
    '/api/v1/repos/acme/api/actions/runs': () => ok('gitea/actions_runs.json'),
  })[u.pathname]?.());
  // tags over two pages; a Last-Modified per tag, as registries behind a CDN send it
  const pushed = { latest: 2 * 3600_000, '1.4.2': 2 * 3600_000, '1.4.1': 3 * 86400_000 };
  const registry = await listen((u) => {
    if (u.pathname === '/v2/acme/api/tags/list') {
      return u.searchParams.get('last') === '1.4.2'
        ? ok('registry/tags_page2.json')
        : ok('registry/tags_page1.json', { link: '</v2/acme/api/tags/list?last=1.4.2&n=2>; rel="next"' });
    }
    const tag = /^\/v2\/acme\/api\/manifests\/(.+)$/.exec(u.pathname)?.[1];
    if (tag) {
      const age = pushed[tag] ?? 30 * 86400_000;
      return ok('registry/manifest_oci.json', {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'docker-content-digest': MANIFEST_DIGEST,
        'docker-distribution-api-version': 'registry/2.0',
        'last-modified': new Date(Date.now() - age).toUTCString(),
      });
    }
    if (u.pathname === `/v2/acme/api/blobs/${CONFIG_DIGEST}`) return ok('registry/config_oci.json');
    return { status: 404, body: shifted('registry/error_manifest_unknown.json', shift) };
  });
  const k8s = await listen((u) => {
    if (u.pathname === '/api/v1/nodes') return ok('kubernetes/nodes.json');
    if (u.pathname === '/api/v1/namespaces/apps/pods') return ok(u.searchParams.get('continue') ? 'kubernetes/pods_page2.json' : 'kubernetes/pods_page1.json');
    if (u.pathname === '/apis/apps/v1/namespaces/apps/deployments/api') return ok('kubernetes/deployment.json');
    return { status: 404, body: shifted('kubernetes/status_not_found.json', shift) };
  });
  const hetzner = await listen((u) => {
    if (u.pathname === '/v1/pricing') return ok('hetzner/pricing.json');
    if (u.pathname === '/v1/servers') return ok(u.searchParams.get('page') === '2' ? 'hetzner/servers_page2.json' : 'hetzner/servers_page1.json');
    return null;
  });
  const openai = await listen((u) => (u.pathname === '/v1/organization/costs' ? ok(u.searchParams.get('page') ? 'openai/costs_page2.json' : 'openai/costs_page1.json') : null));
  const ca = Buffer.from(readFileSync(join(FIXTURES, 'kubernetes', 'ca.pem'))).toString('base64');
  const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${ca}
    server: ${k8s.base}
  name: k3s-prod
contexts:
- context:
    cluster: k3s-prod
    namespace: apps
    user: signalcraft
  name: k3s-prod
current-context: k3s-prod
users:
- name: signalcraft
  user:
    token: sa-token-7f3a
`;
  const all = [gitea, registry, k8s, hetzner, openai];
  return {
    app: (name) => ({
      name,
      repository: { forge: 'gitea', base_url: gitea.base, owner: 'acme', repo: 'api', branch: 'main' },
      image: { registry_url: registry.base, repository: 'acme/api' },
      workload: { namespace: 'apps', deployment: 'api' },
      usage: ['openai'],
      links: { runbook: 'https://runbooks.example.com/api' },
    }),
    monitors: (app) => [
      { id: `${app}-ci`, app, kind: 'git_ci', interval_secs: 3600, config: { token: 'gitea-token-browser-test' }, breach_after: 1, recover_after: 1, severity: 'error', environment: 'production' },
      { id: `${app}-images`, app, kind: 'registry_freshness', interval_secs: 3600, config: {}, thresholds: { max_age_days: 14 }, breach_after: 1, recover_after: 1, severity: 'warning', environment: 'production' },
      { id: `${app}-k8s`, app, kind: 'k8s_workloads', interval_secs: 3600, config: { kubeconfig }, thresholds: { max_restarts: 3 }, breach_after: 2, recover_after: 1, severity: 'critical', environment: 'production' },
      { id: `${app}-cost`, app, kind: 'cloud_cost', interval_secs: 3600, config: { provider: 'hetzner', base_url: `${hetzner.base}/v1`, token: 'hcloud-token-browser-test' }, thresholds: { budget: 60, currency: 'EUR' }, breach_after: 1, recover_after: 1, severity: 'warning', environment: 'production' },
      { id: `${app}-openai`, app, kind: 'usage_quota', interval_secs: 3600, config: { provider: 'openai', base_url: openai.base, api_key: 'sk-admin-browser-test' }, thresholds: { limit: 5, currency: 'USD' }, breach_after: 1, recover_after: 1, severity: 'warning', environment: 'production' },
    ],
    close: () => Promise.all(all.map(({ server }) => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }))),
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
  const services = await startServices();
  const ws = encodeURIComponent(WS);
  // each run of the browser tests has a fresh database: the names read as a fleet's would
  const store = 'storefront';
  const pay = 'payments';
  const full = 'api';
  const run = (id) => api.call('POST', `/api/workspaces/${ws}/monitors/${encodeURIComponent(id)}/run`);
  try {
    await check('fleet: monitors put through the API, checked, shown per app with sparklines and alerts', async () => {
      // keep what the workspace already has (the demo's own monitors), add two apps
      const before = await api.call('GET', `/api/workspaces/${ws}/monitors`);
      const doc = {
        apps: [
          ...before.apps,
          ...(services ? [services.app(full)] : []),
          { name: store, health_urls: [targets.url(store), `${targets.url(store)}?deep=1`], links: { runbook: 'https://runbooks.example.com/storefront' } },
          { name: pay, health_urls: [targets.url(pay)] },
        ],
        monitors: [
          ...before.monitors,
          probe(`${store}-health`, store, targets.url(store)),
          probe(`${pay}-health`, pay, targets.url(pay), { breach_after: 2 }),
          ...(services ? [...services.monitors(full), probe(`${full}-health`, full, targets.url(full))] : []),
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
      if (services) {
        // one reading of every other kind, from the loopback APIs
        for (let i = 0; i < 10; i++) {
          targets.latency[full] = [120, 95, 140, 110, 180, 105, 98, 130, 115, 102][i];
          await run(`${full}-health`);
        }
        for (const m of services.monitors(full)) {
          const s = await run(m.id);
          assert(s.reading && s.reading.error === null, `${m.id} read its API: ${JSON.stringify(s.reading)}`);
        }
      }

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
      if (services) {
        // the other kinds' sections: code and CI, image tags, workload, cost and usage meters
        const card = page.locator(`article[data-app="${full}"]`);
        const code = card.getByRole('region', { name: 'Code' });
        await code.getByText('acme/api').waitFor();
        await code.getByText(/CI (passing|failing|running|queued)/).waitFor();
        await code.locator('.commit .mono').first().waitFor();
        const images = card.getByRole('region', { name: 'Images' });
        await images.getByRole('cell', { name: 'latest' }).waitFor();
        assert((await images.locator('tbody tr').count()) === 3, 'three newest tags');
        await images.getByText(/KB|MB/).first().waitFor();
        const workload = card.getByRole('region', { name: 'Workload' });
        await workload.getByText('apps/api').waitFor();
        await workload.getByText(/^\/\d+ ready$/).waitFor();
        const usage = card.getByRole('region', { name: 'Usage and cost' });
        assert((await usage.getByRole('meter').count()) === 2, 'a cost and a usage meter');
      }
      const kpi = await page.getByTestId('fleet-summary').innerText();
      assert(/Breaching\s*\n?\s*[1-9]/.test(kpi), `summary: ${kpi}`);
      // the whole fleet in one picture
      await page.setViewportSize({ width: 1440, height: 1700 });
      await page.waitForTimeout(300);
      await shot(page, 'fleet');
      await page.setViewportSize({ width: 1440, height: 900 });
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
    await services?.close();
  }
  return `${pay}-health`;
}
