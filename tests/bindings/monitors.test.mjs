// Fleet monitors through the Node package: runMonitor/runMonitors are Promises that check a real
// health endpoint on 127.0.0.1, and a breach that persists becomes one alert of source monitor.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { Engine } = createRequire(import.meta.url)(join(here, '..', '..', 'bindings-node'));

test('runMonitors resolves to states; a persisting breach opens one alert, recovery resolves it', async () => {
  let healthy = false;
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: healthy ? 'ok' : 'down' }));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}/healthz`;
  const dir = mkdtempSync(join(tmpdir(), 'signalcraft-monitors-'));
  const engine = new Engine(join(dir, 'm.db'), { now: '2026-11-30T12:00:00Z', allowPrivateTargets: ['127.0.0.1/32'] });
  try {
    engine.createWorkspace('acme');
    const set = engine.putMonitors('acme', {
      apps: [{ name: 'api', health_urls: [url] }],
      monitors: [{ id: 'api-health', app: 'api', kind: 'http_probe', interval_secs: 30,
        config: { url, expect_status: 200, token: 'node-s3cret' }, breach_after: 2, recover_after: 1,
        severity: 'critical', environment: 'production' }],
    });
    assert.equal(set.monitors[0].config.has_token, true);
    assert.ok(!JSON.stringify(set).includes('node-s3cret'));

    const pending = engine.runMonitors('acme', { once: true });
    assert.ok(pending instanceof Promise);
    const [first] = await pending;
    assert.equal(first.state, 'breach');
    assert.equal(first.breaching, false);
    assert.equal(first.reading.details.status_code, 503);
    const second = await engine.runMonitor('acme', 'api-health');
    assert.equal(second.breaching, true);
    const { groups } = engine.groups('acme');
    assert.equal(groups.length, 1);
    assert.equal(groups[0].source, 'monitor');
    assert.equal(groups[0].project, 'api');
    assert.equal(groups[0].id, second.group_id);
    assert.equal((await engine.runMonitor('acme', 'api-health')).breaching, true);
    assert.equal(engine.groups('acme').groups[0].count, 1, 'no alert storm');

    healthy = true;
    const recovered = await engine.runMonitor('acme', 'api-health');
    assert.equal(recovered.breaching, false);
    assert.equal(engine.groups('acme').groups[0].status, 'resolved');
    const [app] = engine.apps('acme');
    assert.equal(app.state, 'ok');
    assert.equal(app.open_alerts, 0);
    assert.equal(engine.monitorStatus('acme')[0].history.length, 4);
    assert.equal(hits, 4);

    await assert.rejects(engine.runMonitor('acme', 'nope'), (err) => err.code === 'NOT_FOUND');
    assert.throws(() => engine.putMonitors('acme', [{ id: 'x', app: 'a', kind: 'http_probe', interval_secs: 1, config: { url } }]),
      (err) => err.code === 'INVALID_INPUT' && err.path === 'monitors[0].interval_secs');
  } finally {
    engine.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a closed engine rejects runMonitors', async () => {
  const engine = new Engine(null);
  engine.close();
  await assert.rejects(engine.runMonitors('acme'), (err) => err.code === 'INVALID_INPUT' && err.path === 'engine');
});
