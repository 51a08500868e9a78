// The change stream: an event per change after an ingest (id = seq, data names the group and
// its status), heartbeats, a reconnect with Last-Event-ID replaying, auth required.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrap, Client, fixture, openStream, startHost, tempDir, waitFor } from './helpers.mjs';

describe('GET /api/workspaces/{ws}/stream', () => {
  let tmp;
  let host;
  let client;
  let token;

  before(async () => {
    tmp = tempDir();
    const db = join(tmp.dir, 'signalcraft.db');
    const owner = bootstrap(db);
    host = await startHost({ db, env: { SIGNALCRAFT_HEARTBEAT_MS: '300' } });
    client = new Client(host.url);
    await client.login(owner.email, owner.password);
    const t = await client.req('POST', '/api/workspaces/acme/tokens', { json: { role: 'viewer', name: 'stream-reader' } });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    token = t.body.token;
  });

  after(async () => {
    await host?.stop();
    tmp?.cleanup();
  });

  async function ingest() {
    const key = await client.req('POST', '/api/workspaces/acme/integrations/sentry/keys');
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const res = await fetch(`${host.url}/webhooks/acme/sentry?key=${encodeURIComponent(key.body.key)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sentry-hook-resource': 'event_alert', 'request-id': randomUUID().replace(/-/g, '') },
      body: fixture('sentry/issue_alert_triggered.docs.json'),
    });
    const out = await res.json();
    assert.equal(res.status, 202, JSON.stringify(out));
    return out.alerts[0].group_id;
  }

  test('needs a credential', async () => {
    const s = openStream(`${host.url}/api/workspaces/acme/stream`);
    await waitFor('an answer', () => s.status !== null, 5000);
    assert.equal(s.status, 401);
    s.close();
  });

  test('an ingest shows as an event; heartbeats; Last-Event-ID replays', async () => {
    const s = openStream(`${host.url}/api/workspaces/acme/stream`, { authorization: `Bearer ${token}` });
    await waitFor('the stream to open', () => s.status !== null, 5000);
    assert.equal(s.status, 200);
    const gid = await ingest();
    const ev = await waitFor('an event', () => s.events.find((e) => e.data.id === gid), 5000);
    assert.match(ev.id, /^\d+$/);
    assert.equal(ev.data.group_id, gid);
    assert.equal(ev.data.status, 'open');
    assert.equal(String(ev.data.seq), ev.id);
    await waitFor('a heartbeat', () => s.comments.includes('ping'), 5000);

    // An ack is a change too.
    const ack = await client.req('POST', `/api/workspaces/acme/groups/${gid}/actions`, { json: { command: 'ack' } });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    const acked = await waitFor('the ack event', () => s.events.find((e) => e.data.status === 'acknowledged'), 5000);
    assert.ok(Number(acked.id) > Number(ev.id));
    s.close();

    // Reconnecting after the first event replays what came after it, in order.
    const r = openStream(`${host.url}/api/workspaces/acme/stream`, { authorization: `Bearer ${token}`, 'last-event-id': ev.id });
    const replayed = await waitFor('the replay', () => r.events.find((e) => e.id === acked.id), 5000);
    assert.equal(replayed.data.status, 'acknowledged');
    assert.ok(r.events.every((e) => Number(e.id) > Number(ev.id)), 'nothing at or before Last-Event-ID');
    const ids = r.events.map((e) => Number(e.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    r.close();
  });

  test('another workspace is not found', async () => {
    const s = openStream(`${host.url}/api/workspaces/elsewhere/stream`, { authorization: `Bearer ${token}` });
    await waitFor('an answer', () => s.status !== null, 5000);
    assert.equal(s.status, 404);
    s.close();
  });
});
