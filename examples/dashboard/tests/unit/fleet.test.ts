import { describe, expect, it } from 'vitest';
import {
  appView, ciView, fleetSummary, formatAmount, formatBytes, formatMoney, historyRows, inboxSearchFor, matchesApp, meter,
  percentile, sortApps, sparkPoints, worstState, type AppStatus, type MonitorState,
} from '../../src/lib/fleet';
import { filtersFromSearch } from '../../src/lib/filters';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const ago = (mins: number) => new Date(NOW - mins * 60_000).toISOString();

function state(over: Partial<MonitorState> & Pick<MonitorState, 'id' | 'kind'>): MonitorState {
  return {
    app: 'shop', severity: 'critical', environment: 'production', interval_secs: 60, state: 'ok', breaching: false,
    consecutive: 1, reading: null, history: [], group_id: null, next_due_at: ago(-1), ...over,
  };
}

function reading(details: Record<string, unknown>, over: Record<string, unknown> = {}) {
  return { at: ago(1), ok: true, value: null, unit: null, summary: 'fine', error: null, details, ...over } as MonitorState['reading'];
}

function app(over: Partial<AppStatus> & { monitors: MonitorState[] }): AppStatus {
  return { name: 'shop', state: 'ok', open_alerts: 0, alerts_query: 'project=shop', ...over } as AppStatus;
}

describe('formatting', () => {
  it('bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(52_428_800)).toBe('50 MB');
    expect(formatBytes(3.2 * 1024 ** 3)).toBe('3.2 GB');
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
  });
  it('money and amounts', () => {
    expect(formatMoney(42.1, 'eur')).toBe('€42.10');
    expect(formatMoney(1204.4, 'USD')).toBe('$1,204');
    expect(formatMoney(3, 'credits')).toBe('3.00 CREDITS');
    expect(formatMoney(null, 'EUR')).toBe('—');
    expect(formatAmount(1_200_000, 'tokens')).toBe('1.2M tokens');
    expect(formatAmount(950)).toBe('950');
    expect(formatAmount(12_500, 'requests')).toBe('12.5k requests');
  });
  it('nearest-rank percentiles', () => {
    expect(percentile([], 95)).toBeNull();
    expect(percentile([5], 95)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 50)).toBe(5);
  });
});

describe('states, meters and CI', () => {
  it('the worst state leads', () => {
    expect(worstState([])).toBe('pending');
    expect(worstState(['ok', 'pending'])).toBe('pending');
    expect(worstState(['ok', 'error', 'pending'])).toBe('error');
    expect(worstState(['error', 'breach', 'ok'])).toBe('breach');
  });
  it('meters warn from 80 % and are bad from 100 %', () => {
    expect(meter(50, 100)).toEqual({ ratio: 0.5, tone: 'ok' });
    expect(meter(80, 100)).toEqual({ ratio: 0.8, tone: 'warn' });
    expect(meter(130, 100)).toEqual({ ratio: 1.3, tone: 'bad' });
    expect(meter(10, null)).toEqual({ ratio: null, tone: 'muted' });
    expect(meter(10, 0)).toEqual({ ratio: null, tone: 'muted' });
  });
  it("words Gitea's run status and conclusion", () => {
    expect(ciView(null)).toEqual({ label: 'No runs', tone: 'muted' });
    expect(ciView({ status: 'completed', conclusion: 'success' })).toEqual({ label: 'Passing', tone: 'ok' });
    expect(ciView({ status: 'completed', conclusion: 'failure' })).toEqual({ label: 'Failing', tone: 'bad' });
    expect(ciView({ status: 'failure', conclusion: null })).toEqual({ label: 'Failing', tone: 'bad' });
    expect(ciView({ status: 'in_progress', conclusion: null })).toEqual({ label: 'Running', tone: 'warn' });
    expect(ciView({ status: 'queued', conclusion: null })).toEqual({ label: 'Queued', tone: 'muted' });
    expect(ciView({ status: 'completed', conclusion: 'cancelled' })).toEqual({ label: 'Cancelled', tone: 'muted' });
  });
});

describe('an app card', () => {
  const full = app({
    name: 'shop',
    state: 'breach',
    open_alerts: 2,
    repository: { forge: 'gitea', base_url: 'https://git.example.com/', owner: 'acme', repo: 'shop', branch: 'main' },
    image: { registry_url: 'https://harbor.example.com', repository: 'acme/shop' },
    workload: { namespace: 'prod', deployment: 'shop' },
    health_urls: ['https://shop.example.com/healthz', 'https://shop.example.com/ready'],
    links: { runbook: 'https://runbooks.example.com/shop' },
    monitors: [
      state({
        id: 'shop-ci', kind: 'git_ci', state: 'breach',
        reading: reading({
          repository: 'acme/shop', html_url: 'https://git.example.com/acme/shop', branch: 'main',
          commit: { sha: '0123456789abcdef', message: 'Fix checkout rounding\n\nLonger body', author: 'Ada', at: ago(90), url: 'https://git.example.com/acme/shop/commit/0123456' },
          ci: { status: 'completed', conclusion: 'failure', name: 'build', url: 'https://git.example.com/acme/shop/actions/runs/7', at: ago(80) },
        }, { ok: false, at: ago(2) }),
      }),
      state({
        id: 'shop-images', kind: 'registry_freshness',
        reading: reading({
          repository: 'acme/shop',
          tags: [
            { tag: 'v1.0.0', digest: 'sha256:aaa', size_bytes: 10 * 1024 * 1024, pushed_at: ago(60 * 24 * 3) },
            { tag: 'v1.2.0', digest: 'sha256:ccc', size_bytes: 52_428_800, pushed_at: ago(120) },
            { tag: 'v1.1.0', digest: 'sha256:bbb', size_bytes: 1536, pushed_at: ago(60 * 24) },
            { tag: 'latest', digest: 'sha256:ccc', size_bytes: 52_428_800, pushed_at: null },
          ],
          last_push_at: ago(120),
        }),
      }),
      state({
        id: 'shop-k8s', kind: 'k8s_workloads', state: 'breach',
        reading: reading({ namespace: 'prod', deployment: 'shop', ready: 2, desired: 3, available: 2, restarts_window: 5, pods_not_ready: ['shop-7d9-x2'], nodes: { ready: 3, total: 3 } }, { ok: false }),
      }),
      state({
        id: 'shop-health', kind: 'http_probe',
        reading: reading({ url: 'https://shop.example.com/healthz', status_code: 200, latency_ms: 41, body_matched: true }, { value: 41, unit: 'ms' }),
        history: [
          { at: ago(3), ok: true, value: 40 },
          { at: ago(1), ok: true, value: 41 },
          { at: ago(2), ok: false, value: null },
          { at: 'not a time', ok: true, value: 1 },
        ],
      }),
      state({
        id: 'shop-cost', kind: 'cloud_cost',
        reading: reading({ servers: [{ name: 'cx22-1', status: 'running', monthly_cost: 4.5 }, { name: 'cx22-2', status: 'off', monthly_cost: 4.5 }], monthly_cost: 90, currency: 'EUR', budget: 100 }),
      }),
      state({
        id: 'shop-openai', kind: 'usage_quota', state: 'breach',
        reading: reading({ provider: 'openai', used: 1_200_000, limit: 1_000_000, unit: 'tokens', cost: 24.5, currency: 'USD' }, { ok: false }),
      }),
    ],
  });

  it('shows code and CI from the git_ci reading', () => {
    const v = appView(full, NOW);
    expect(v.code).toMatchObject({
      monitorId: 'shop-ci', repository: 'acme/shop', url: 'https://git.example.com/acme/shop', branch: 'main', state: 'breach',
      commit: { short: '0123456', message: 'Fix checkout rounding', author: 'Ada', url: 'https://git.example.com/acme/shop/commit/0123456' },
      ci: { label: 'Failing', tone: 'bad', name: 'build', url: 'https://git.example.com/acme/shop/actions/runs/7' },
    });
  });

  it('lists the three newest tags with size and age', () => {
    const v = appView(full, NOW);
    expect(v.images?.tags.map((t) => [t.tag, t.size, t.age])).toEqual([
      ['v1.2.0', '50 MB', '2h ago'],
      ['v1.1.0', '1.5 KB', '1d ago'],
      ['v1.0.0', '10 MB', '3d ago'],
    ]);
    expect(v.images?.lastPush).toBe('2h ago');
  });

  it('shows the workload short of replicas with its restarts', () => {
    const w = appView(full, NOW).workload!;
    expect(w).toMatchObject({ name: 'prod/shop', ready: 2, desired: 3, restarts: 5, podsNotReady: ['shop-7d9-x2'], nodes: { ready: 3, total: 3 }, tone: 'bad' });
  });

  it('draws probes with their latency history, p95 and uptime; health URLs without a probe are listed apart', () => {
    const v = appView(full, NOW);
    expect(v.probes).toHaveLength(1);
    const p = v.probes[0]!;
    expect(p).toMatchObject({ id: 'shop-health', label: 'shop.example.com/healthz', statusCode: 200, latencyMs: 41, p95Ms: 41 });
    expect(p.points.map((x) => x.v)).toEqual([40, null, 41]);
    expect(p.uptime).toBeCloseTo(2 / 3);
    expect(v.unprobed).toEqual(['https://shop.example.com/ready']);
  });

  it('meters cost and usage against their budgets', () => {
    const [cost, usage] = appView(full, NOW).meters;
    expect(cost).toMatchObject({ id: 'shop-cost', used: '€90.00', limit: '€100.00', tone: 'warn', note: '2 servers · 1 not running' });
    expect(cost!.ratio).toBeCloseTo(0.9);
    expect(usage).toMatchObject({ id: 'shop-openai', label: 'OpenAI', used: '1.2M tokens', limit: '1M tokens', tone: 'bad', note: '$24.50 spent' });
  });

  it('a quota counted in money reads as money', () => {
    const v = appView(app({ monitors: [state({ id: 'ai', kind: 'usage_quota', reading: reading({ provider: 'openai', used: 4, limit: 5, unit: 'USD', cost: 4, currency: 'USD' }) })] }), NOW);
    expect(v.meters[0]).toMatchObject({ label: 'OpenAI', used: '$4.00', limit: '$5.00', tone: 'warn', note: null });
  });

  it('links to the inbox filtered by the app', () => {
    const v = appView(full, NOW);
    expect(v.openAlerts).toBe(2);
    expect(filtersFromSearch(v.inboxSearch).project).toBe('shop');
    expect(filtersFromSearch(v.inboxSearch).status).toEqual(['open', 'acknowledged', 'snoozed']);
    expect(inboxSearchFor('a b&c')).toBe('status=open%2Cacknowledged%2Csnoozed&project=a+b%26c');
    expect(v.links).toEqual([{ name: 'runbook', url: 'https://runbooks.example.com/shop' }]);
    expect(v.lastCheckedAt).toBe(ago(1));
  });

  it('an app named only by an http probe has no code, images, workload or meters', () => {
    const v = appView(app({ name: 'api', monitors: [state({ id: 'api-health', kind: 'http_probe', app: 'api', state: 'pending' })] }), NOW);
    expect(v.code).toBeNull();
    expect(v.images).toBeNull();
    expect(v.workload).toBeNull();
    expect(v.meters).toEqual([]);
    expect(v.probes[0]).toMatchObject({ id: 'api-health', label: 'api-health', latencyMs: null, p95Ms: null, uptime: null, points: [] });
  });

  it('a described but unread repository still links, and a failed read keeps its error', () => {
    const v = appView(app({
      repository: { forge: 'gitea', base_url: 'https://git.example.com', owner: 'acme', repo: 'shop' },
      monitors: [state({ id: 'shop-ci', kind: 'git_ci', state: 'error', reading: reading({}, { ok: false, error: 'gitea answered 401' }) })],
    }), NOW);
    expect(v.code).toMatchObject({ repository: 'acme/shop', url: 'https://git.example.com/acme/shop', commit: null, state: 'error' });
    expect(v.code?.ci).toMatchObject({ label: 'No runs' });
  });
});

describe('the fleet', () => {
  const apps = [
    app({ name: 'web', state: 'ok', monitors: [state({ id: 'w', kind: 'http_probe' })] }),
    app({ name: 'api', state: 'breach', open_alerts: 1, monitors: [state({ id: 'a', kind: 'http_probe', state: 'breach' }), state({ id: 'a2', kind: 'git_ci' })] }),
    app({ name: 'jobs', state: 'error', monitors: [state({ id: 'j-k8s', kind: 'k8s_workloads', state: 'error' })] }),
    app({ name: 'billing', state: 'breach', open_alerts: 3, monitors: [state({ id: 'b', kind: 'usage_quota', state: 'breach' })] }),
    app({ name: 'docs', state: 'ok', open_alerts: 1, monitors: [state({ id: 'd', kind: 'http_probe' })] }),
  ];
  it('sums states, monitors and open alerts', () => {
    expect(fleetSummary(apps)).toEqual({ apps: 5, healthy: 2, breaching: 2, unreadable: 1, pending: 0, monitors: 6, openAlerts: 5 });
  });
  it('sorts the worst first, then by open alerts, then by name', () => {
    expect(sortApps(apps.map((a) => ({ name: a.name, state: a.state, openAlerts: a.open_alerts }))).map((a) => a.name)).toEqual(['billing', 'api', 'jobs', 'docs', 'web']);
  });
  it('filters by attention and by name or monitor id', () => {
    expect(apps.filter((a) => matchesApp(a, 'attention', '')).map((a) => a.name)).toEqual(['api', 'jobs', 'billing', 'docs']);
    expect(apps.filter((a) => matchesApp(a, 'all', 'K8S')).map((a) => a.name)).toEqual(['jobs']);
    expect(apps.filter((a) => matchesApp(a, 'all', ' we ')).map((a) => a.name)).toEqual(['web']);
  });
  it('history rows newest first, sparkline points oldest first', () => {
    const m = state({ id: 'x', kind: 'http_probe', history: [{ at: ago(2), ok: true, value: 1 }, { at: ago(1), ok: false, value: 2 }] });
    expect(historyRows(m).map((h) => h.value)).toEqual([2, 1]);
    expect(sparkPoints(m.history).map((p) => p.v)).toEqual([1, 2]);
  });
});
