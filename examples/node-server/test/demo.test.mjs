// `--demo`: the demo workspace from fixtures/demo.json — an owner whose password is printed once,
// a day of real traffic with acknowledged, snoozed, resolved and assigned groups, rules, an
// escalation policy, a webhook channel whose deliveries to the host's own sink succeed, and
// fleet monitors probing the host itself.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, startHost, tempDir, waitFor } from './helpers.mjs';

describe('--demo', () => {
  let tmp;
  let host;
  let client;
  let db;

  before(async () => {
    tmp = tempDir();
    db = join(tmp.dir, 'demo.db');
    host = await startHost({ db, args: ['--demo'] });
  });

  after(async () => {
    await host?.stop();
    tmp?.cleanup();
  });

  test('prints the owner password once, and it logs in', async () => {
    const line = await waitFor('the password line', () => host.logs.find((l) => l.includes('SignalCraft demo:')), 10_000);
    const password = /password (\S+)/.exec(line)[1];
    client = new Client(host.url);
    await client.login('owner@example.com', password);
    const ws = await client.req('GET', '/api/workspaces');
    assert.deepEqual(ws.body.workspaces.map((w) => [w.name, w.role]), [['demo', 'owner']]);
    assert.ok(!host.logs.some((l) => l.startsWith('{') && l.includes(password)), 'the password is not in a log record');
  });

  test('a day of traffic with every kind of state, spread over the last 24 h', async () => {
    const page = await client.req('GET', '/api/workspaces/demo/groups?limit=100');
    assert.equal(page.status, 200);
    const groups = page.body.groups;
    const statuses = new Set(groups.map((g) => g.status));
    for (const s of ['open', 'acknowledged', 'snoozed', 'resolved']) assert.ok(statuses.has(s), `a ${s} group`);
    assert.ok(groups.some((g) => g.assignee === 'owner@example.com'), 'an assigned group');
    assert.ok(groups.some((g) => g.count > 1), 'a group with repeats');
    const sources = new Set(groups.map((g) => g.source));
    for (const s of ['sentry', 'alertmanager', 'grafana', 'datadog', 'pagerduty', 'opsgenie']) assert.ok(sources.has(s), s);
    const first = Math.min(...groups.map((g) => Date.parse(g.first_seen)));
    assert.ok(Date.now() - first > 20 * 3600_000 && Date.now() - first < 24 * 3600_000, 'the day goes back about 23 h');
    const stats = await client.req('GET', '/api/workspaces/demo/stats?window=24h');
    assert.equal(stats.status, 200);
    assert.ok(stats.body.events >= 15, JSON.stringify(stats.body.events));
  });

  test('rules, an escalation policy, and deliveries to the loopback sink that succeed', async () => {
    const rules = await client.req('GET', '/api/workspaces/demo/rules');
    assert.ok(rules.body.rules.length >= 2);
    const esc = await client.req('GET', '/api/workspaces/demo/escalations');
    assert.ok(esc.body.policies.default, JSON.stringify(esc.body));
    const sink = await waitFor('deliveries to the sink', async () => {
      const r = await fetch(`${host.url}/demo/sink`);
      const b = await r.json();
      return b.received >= 5 ? b : null;
    }, 15_000, 200);
    assert.equal(sink.last.channel, 'oncall-hook');
    const deliveries = await waitFor('sent deliveries', async () => {
      const d = await client.req('GET', '/api/workspaces/demo/deliveries');
      return d.body.deliveries.filter((x) => x.status === 'sent').length >= 5 ? d.body.deliveries : null;
    }, 15_000, 200);
    assert.ok(deliveries.every((d) => d.status !== 'failed'), JSON.stringify(deliveries.map((d) => d.status)));
  });

  test("the fleet: probes of the host's own /healthz and /readyz, checked by its background loop", async () => {
    const set = await client.req('GET', '/api/workspaces/demo/monitors');
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.monitors.map((m) => [m.id, m.kind, m.config.url]), [
      ['signalcraft-health', 'http_probe', `${host.url}/healthz`],
      ['signalcraft-ready', 'http_probe', `${host.url}/readyz`],
    ]);
    const app = await waitFor('both probes checked and healthy', async () => {
      const r = await client.req('GET', '/api/workspaces/demo/apps');
      const a = r.body.apps.find((x) => x.name === 'signalcraft');
      return a && a.monitors.every((m) => m.state === 'ok') ? a : null;
    }, 20_000, 250);
    assert.equal(app.state, 'ok');
    assert.equal(app.alerts_query, 'project=signalcraft');
    for (const m of app.monitors) {
      assert.equal(m.reading.details.status_code, 200, JSON.stringify(m.reading));
      assert.ok(m.reading.details.latency_ms >= 0, JSON.stringify(m.reading));
    }
  });

  test('a second start on the same database does not seed again', async () => {
    await host.stop();
    host = await startHost({ db, args: ['--demo'] });
    await waitFor('the not-seeded line', () => host.logs.some((l) => l.includes('not seeded again')), 10_000);
    assert.ok(!host.logs.some((l) => l.includes('SignalCraft demo:')));
  });
});
