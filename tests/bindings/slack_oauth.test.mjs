// The Slack install through the Node binding against a Slack-shaped server on 127.0.0.1:
// slackConnect's URL and state, slackOauthCallback's Promise (resolved, and rejected with the
// engine's Error), the installed channel.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { Engine } = createRequire(import.meta.url)(join(here, '..', '..', 'bindings-node'));

test('a Slack install resolves, a refused code rejects with INVALID_INPUT at code', async () => {
  const forms = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      forms.push(body);
      const ok = new URLSearchParams(body).get('code') === 'good';
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(ok
        ? { ok: true, access_token: 'xoxb-node', team: { id: 'T0NODE', name: 'Node Team' } }
        : { ok: false, error: 'invalid_code' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const engine = new Engine(join(mkdtempSync(join(tmpdir(), 'signalcraft-slack-')), 'sc.db'), { allowPrivateTargets: ['127.0.0.1/32'] });
  try {
    engine.createWorkspace('acme');
    const app = { client_id: '1.2', client_secret: 'shh', redirect_uri: `${base}/cb`, api_base: `${base}/api` };
    const c = engine.slackConnect('acme', app, { slack_channel: '#ops' });
    const url = new URL(c.url);
    assert.equal(url.origin + url.pathname, 'https://slack.com/oauth/v2/authorize');
    assert.equal(url.searchParams.get('scope'), 'chat:write,channels:read,groups:read');
    assert.equal(url.searchParams.get('state'), c.state);
    await assert.rejects(engine.slackOauthCallback(app, 'stale', c.state), (err) => {
      assert.equal(err.code, 'INVALID_INPUT');
      assert.equal(err.path, 'code');
      return true;
    });
    await assert.rejects(engine.slackOauthCallback(app, 'good', c.state), (err) => err.code === 'INVALID_INPUT' && err.path === 'state');
    const c2 = engine.slackConnect('acme', app, { slack_channel: '#ops' });
    const done = await engine.slackOauthCallback(app, 'good', c2.state);
    assert.deepEqual(
      [done.workspace, done.team_id, done.team_name, done.channel, done.slack_channel],
      ['acme', 'T0NODE', 'Node Team', 'slack', '#ops'],
    );
    assert.ok(new URLSearchParams(forms.at(-1)).get('client_secret') === 'shh');
    assert.equal(engine.channels('acme')[0].name, 'slack');
  } finally {
    engine.close();
    server.close();
  }
});
