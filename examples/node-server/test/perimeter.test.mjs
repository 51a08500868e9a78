// SIGNALCRAFT_ALLOW_PRIVATE_TARGETS through the host: it reads the variable and hands it to the
// engine. Unset, a channel aimed at a loopback receiver gets no request and its delivery fails
// with the guard's reason; with 127.0.0.1/32 the same test notification arrives.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrap, Client, startHost, tempDir, waitFor } from './helpers.mjs';

describe('private targets through the host', () => {
  let tmp;
  let receiver;
  const hits = [];

  before(async () => {
    tmp = tempDir();
    receiver = createServer((req, res) => {
      hits.push(req.url);
      req.resume();
      req.on('end', () => { res.statusCode = 204; res.end(); });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  });

  after(async () => {
    receiver?.close();
    tmp?.cleanup();
  });

  async function testNotification(name, allow) {
    const db = join(tmp.dir, `${name}.db`);
    const owner = bootstrap(db);
    const host = await startHost({ db, env: { SIGNALCRAFT_ALLOW_PRIVATE_TARGETS: allow } });
    try {
      const client = new Client(host.url);
      await client.login(owner.email, owner.password);
      const url = `http://127.0.0.1:${receiver.address().port}/${name}`;
      const put = await client.req('PUT', '/api/workspaces/acme/channels/hook', { json: { kind: 'webhook', config: { url } } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const t = await client.req('POST', '/api/workspaces/acme/channels/hook/test');
      assert.ok(t.status < 300, JSON.stringify(t.body));
      let last;
      await waitFor('the test notification to be delivered or fail', async () => {
        const d = await client.req('GET', '/api/workspaces/acme/deliveries');
        last = d.body.deliveries[0];
        return last && ['sent', 'failed'].includes(last.status);
      });
      return last;
    } finally {
      await host.stop();
    }
  }

  test('unset: refused, the receiver sees nothing, the log says why', async () => {
    const d = await testNotification('unset', '');
    assert.equal(d.status, 'failed');
    assert.match(d.last_error, /refused: .*loopback/);
    assert.deepEqual(hits, []);
  });

  test('127.0.0.1/32: delivered', async () => {
    const d = await testNotification('listed', '127.0.0.1/32');
    assert.equal(d.status, 'sent', JSON.stringify(d));
    assert.deepEqual(hits, ['/listed']);
  });
});
