// webhookAsync: the authenticated webhook off the event loop, many at once.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { Engine } = createRequire(import.meta.url)(join(here, '..', '..', 'bindings-node'));
const fixture = JSON.parse(readFileSync(join(here, '..', '..', 'core', 'tests', 'fixtures', 'sentry', 'issue_alert_triggered.docs.json'), 'utf8'));

test('concurrent webhookAsync calls all commit; refusals reject with the Error', async () => {
  const engine = new Engine(join(mkdtempSync(join(tmpdir(), 'signalcraft-async-')), 'sc.db'));
  try {
    engine.createWorkspace('acme');
    const { key } = engine.createIngestKey('acme', 'sentry');
    const headers = { 'Sentry-Hook-Resource': 'event_alert' };
    const bodies = Array.from({ length: 24 }, (_, i) => {
      const doc = structuredClone(fixture);
      doc.data.event.event_id = i.toString(16).padStart(32, '0');
      doc.data.event.issue_id = String(1000 + (i % 6));
      return JSON.stringify(doc);
    });
    const loop = setInterval(() => {}, 1); // the event loop stays free while they run
    const outs = await Promise.all(bodies.map((b) => engine.webhookAsync('acme', 'sentry', headers, b, key)));
    clearInterval(loop);
    assert.equal(outs.length, 24);
    assert.ok(outs.every((o) => o.outcome === 'accepted'), JSON.stringify(outs[0]));
    const page = engine.groups('acme', { limit: 100 });
    assert.equal(page.groups.length, 6);
    assert.equal(page.groups.reduce((n, g) => n + g.count, 0), 24);
    await assert.rejects(engine.webhookAsync('acme', 'sentry', headers, bodies[0]), (err) => err.code === 'UNAUTHENTICATED');
    await assert.rejects(engine.webhookAsync('acme', 'nagios', headers, bodies[0], key), (err) => err.code === 'INVALID_INPUT' && err.path === 'source');
    await assert.rejects(engine.webhookAsync('acme', 'sentry', { 'Bad Name': 'x' }, bodies[0], key), (err) => err.code === 'INVALID_INPUT');
    engine.close();
    await assert.rejects(engine.webhookAsync('acme', 'sentry', headers, bodies[0], key), (err) => err.code === 'INVALID_INPUT' && err.path === 'engine');
  } finally {
    engine.close();
  }
});

test('concurrent ingestAsync calls all commit, each answered after its own commit', async () => {
  const engine = new Engine(join(mkdtempSync(join(tmpdir(), 'signalcraft-async-')), 'sc.db'));
  try {
    engine.createWorkspace('acme');
    const headers = { 'Sentry-Hook-Resource': 'event_alert' };
    const bodies = Array.from({ length: 32 }, (_, i) => {
      const doc = structuredClone(fixture);
      doc.data.event.event_id = (1000 + i).toString(16).padStart(32, '0');
      doc.data.event.issue_id = String(2000 + (i % 4));
      return Buffer.from(JSON.stringify(doc));
    });
    let ticks = 0;
    const loop = setInterval(() => { ticks += 1; }, 0);
    const outs = await Promise.all(bodies.map((b) => engine.ingestAsync('acme', 'sentry', headers, b)));
    clearInterval(loop);
    assert.equal(outs.length, 32);
    assert.ok(outs.every((o) => o.outcome === 'accepted' && o.alerts.length === 1), JSON.stringify(outs[0]));
    // four issues: four groups, one new_group each, every other event joined
    assert.equal(outs.filter((o) => o.alerts[0].decision === 'new_group').length, 4);
    const page = engine.groups('acme', { limit: 100 });
    assert.equal(page.groups.length, 4);
    assert.equal(page.groups.reduce((n, g) => n + g.count, 0), 32);
    // the same deliveries again, concurrently: every one a duplicate, nothing stored twice
    const again = await Promise.all(bodies.map((b) => engine.ingestAsync('acme', 'sentry', headers, b)));
    assert.ok(again.every((o) => o.outcome === 'duplicate'), JSON.stringify(again[0]));
    assert.equal(engine.groups('acme', { limit: 100 }).groups.reduce((n, g) => n + g.count, 0), 32);
    await assert.rejects(engine.ingestAsync('acme', 'nagios', headers, bodies[0]), (err) => err.code === 'INVALID_INPUT' && err.path === 'source');
    await assert.rejects(engine.ingestAsync('acme', 'sentry', { 'Bad Name': 'x' }, bodies[0]), (err) => err.code === 'INVALID_INPUT');
    engine.close();
    await assert.rejects(engine.ingestAsync('acme', 'sentry', headers, bodies[0]), (err) => err.code === 'INVALID_INPUT' && err.path === 'engine');
  } finally {
    engine.close();
  }
});
