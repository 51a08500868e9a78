// The perimeter through the Node binding: a panic inside a call is an INTERNAL error (sync and
// in a Promise), never an aborted process, and the engine keeps working; channels reach
// loopback only with `allowPrivateTargets`.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { Engine } = createRequire(import.meta.url)(join(here, '..', '..', 'bindings-node'));
const alert = readFileSync(join(here, '..', '..', 'core', 'tests', 'fixtures', 'sentry', 'issue_alert_triggered.docs.json'));

test('a panic inside a call throws INTERNAL and the engine keeps working', async () => {
  const engine = new Engine(null);
  try {
    assert.throws(() => engine.__panicForTests(), (err) => {
      assert.equal(err.code, 'INTERNAL');
      assert.match(err.message, /panicked: a panic provoked by a test/);
      return true;
    });
    await assert.rejects(engine.__panicForTestsAsync(), (err) => {
      assert.equal(err.code, 'INTERNAL');
      assert.match(err.message, /panicked/);
      return true;
    });
    assert.equal(engine.createWorkspace('after-the-panic').name, 'after-the-panic');
  } finally {
    engine.close();
  }
});

async function receiver() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(req.url);
    req.resume();
    req.on('end', () => { res.statusCode = 204; res.end(); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, hits, url: `http://127.0.0.1:${server.address().port}/hook` };
}

async function deliverOnce(options, url) {
  const engine = new Engine(join(mkdtempSync(join(tmpdir(), 'signalcraft-perimeter-')), 'sc.db'), options);
  try {
    engine.createWorkspace('acme');
    engine.setChannel('acme', 'hook', 'webhook', { url });
    engine.putRules('acme', [{ id: 'all', when: {}, then: { notify: ['hook'] } }]);
    engine.ingest('acme', 'sentry', { 'Sentry-Hook-Resource': 'event_alert' }, alert);
    const report = await engine.dispatch('acme', 5000);
    return { report, log: engine.deliveries('acme') };
  } finally {
    engine.close();
  }
}

test('a loopback webhook is refused by default and reached with allowPrivateTargets', async () => {
  const { server, hits, url } = await receiver();
  try {
    const refused = await deliverOnce(undefined, url);
    assert.deepEqual([refused.report.sent, refused.report.failed], [0, 1]);
    assert.equal(hits.length, 0);
    assert.match(refused.log[0].last_error, /refused: .* loopback/);
    const listed = await deliverOnce({ allowPrivateTargets: ['127.0.0.1/32'] }, url);
    assert.equal(listed.report.sent, 1);
    const all = await deliverOnce({ allowPrivateTargets: true }, url);
    assert.equal(all.report.sent, 1);
    assert.equal(hits.length, 2);
    assert.throws(() => new Engine(null, { allowPrivateTargets: ['10.0.0.0/8', 'nope'] }), (err) => {
      assert.equal(err.code, 'INVALID_INPUT');
      assert.equal(err.path, 'allowPrivateTargets[1]');
      return true;
    });
  } finally {
    server.close();
  }
});
