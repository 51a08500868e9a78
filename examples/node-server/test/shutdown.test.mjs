// Graceful shutdown: on SIGTERM the host stops accepting, finishes the request in flight, ends
// open streams, stops the background loop, closes the engine and exits 0.
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrap, Client, fixture, openStream, startHost, tempDir, waitFor } from './helpers.mjs';

describe('graceful shutdown', () => {
  let tmp;
  let db;

  before(() => {
    tmp = tempDir();
    db = join(tmp.dir, 'signalcraft.db');
    bootstrap(db);
  });
  after(() => tmp?.cleanup());

  for (const signal of ['SIGTERM', 'SIGINT']) {
    test(`${signal}: the request in flight completes, streams end, new connections are refused, exit 0`, async () => {
      const host = await startHost({ db });
      try {
        const client = new Client(host.url);
        await client.login('owner@example.com', 'correct horse battery staple');
        await client.req('PATCH', '/api/workspaces/acme/settings', { json: { allow_unauthenticated_ingest: true } });
        const stream = openStream(`${host.url}/api/workspaces/acme/stream`, { cookie: client.cookie });
        await waitFor('the stream', () => stream.status === 200, 5000);

        // A webhook whose body is still arriving when the signal comes.
        const body = fixture('alertmanager/zulip_firing_2_alerts.json');
        const { port } = new URL(host.url);
        const answer = new Promise((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/webhooks/acme/alertmanager',
            headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode, text }));
          });
          req.on('error', reject);
          req.write(body.subarray(0, 100));
          setTimeout(() => {
            host.child.kill(signal);
            setTimeout(() => req.end(body.subarray(100)), 300);
          }, 100);
        });
        const done = await answer;
        assert.equal(done.status, 202, done.text);
        assert.equal(JSON.parse(done.text).outcome, 'accepted');

        const { code } = await host.stop(signal);
        assert.equal(code, 0);
        assert.ok(stream.ended, 'the stream was ended');
        await assert.rejects(fetch(`${host.url}/healthz`, { signal: AbortSignal.timeout(2000) }));
        assert.ok(host.logs.some((l) => l.includes('"stopped"')), 'logged stopped');
      } finally {
        await host.stop('SIGKILL');
      }
    });
  }

  test('the engine was closed cleanly: the next host sees every write', async () => {
    const host = await startHost({ db });
    try {
      const client = new Client(host.url);
      await client.login('owner@example.com', 'correct horse battery staple');
      const page = await client.req('GET', '/api/workspaces/acme/groups?limit=10');
      assert.equal(page.status, 200);
      assert.ok(page.body.groups.length >= 2, JSON.stringify(page.body));
    } finally {
      await host.stop();
    }
  });
});
