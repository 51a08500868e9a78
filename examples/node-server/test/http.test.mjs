// The HTTP shell: statuses by error kind with the contract's error body, credentials and CSRF,
// roles, workspace walls, body limits, rate limits with Retry-After, security headers, request
// ids, the session cookie's attributes, /metrics behind --metrics-token, health.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrap, Client, Engine, fixture, startHost, tempDir } from './helpers.mjs';

const METRICS_TOKEN = 'metrics-token-http-test-3b1f';

function isError(r, status, kind) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.kind, kind, JSON.stringify(r.body));
  assert.ok('message' in r.body.error && 'path' in r.body.error);
}

describe('the HTTP shell', () => {
  let tmp;
  let host;
  let owner;
  let viewer;

  before(async () => {
    tmp = tempDir();
    const db = join(tmp.dir, 'signalcraft.db');
    bootstrap(db);
    const e = new Engine(db);
    try {
      e.addUser('viewer@example.com', 'viewer password 1234', 'Viewer');
      e.setMember('acme', 'viewer@example.com', 'viewer');
      e.addUser('other@example.com', 'other password 1234', 'Other');
      e.createWorkspace('elsewhere', 'other@example.com');
    } finally {
      e.close();
    }
    host = await startHost({ db, args: ['--metrics-token', METRICS_TOKEN], env: { SIGNALCRAFT_MAX_BODY_BYTES: '16384' } });
    owner = new Client(host.url);
    await owner.login('owner@example.com', 'correct horse battery staple');
    viewer = new Client(host.url);
    await viewer.login('viewer@example.com', 'viewer password 1234');
  });

  after(async () => {
    await host?.stop();
    tmp?.cleanup();
  });

  test('unknown route: 404 with the error body; security headers and a request id on every answer', async () => {
    const r = await new Client(host.url).req('GET', '/api/nope');
    isError(r, 404, 'not_found');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(r.headers.get('content-security-policy'));
    assert.match(r.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('a long path parameter reaches the engine: a 404 in the contract body, not the router\'s 414', async () => {
    isError(await owner.req('GET', `/api/workspaces/${'w'.repeat(300)}/groups`), 404, 'not_found');
  });

  test('no credential, or a wrong one: 401 unauthenticated', async () => {
    isError(await new Client(host.url).req('GET', '/api/me'), 401, 'unauthenticated');
    isError(await new Client(host.url).req('GET', '/api/workspaces/acme/groups'), 401, 'unauthenticated');
    const c = new Client(host.url);
    c.bearer = 'sct_not-a-real-token';
    isError(await c.req('GET', '/api/me'), 401, 'unauthenticated');
  });

  test('login: a bad password is 401; the cookie is HttpOnly, SameSite=Strict, Path=/; the token is not in the body', async () => {
    const bad = await new Client(host.url).req('POST', '/api/session', { json: { email: 'owner@example.com', password: 'wrong' } });
    isError(bad, 401, 'unauthenticated');
    const c = new Client(host.url);
    const body = await c.login('owner@example.com', 'correct horse battery staple');
    assert.match(c.setCookie, /HttpOnly/i);
    assert.match(c.setCookie, /SameSite=Strict/i);
    assert.match(c.setCookie, /Path=\//);
    assert.ok(!JSON.stringify(body).includes(c.cookie.split('=')[1]));
    assert.equal(typeof body.csrf_token, 'string');
    const me = await c.req('GET', '/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, 'owner@example.com');
  });

  test('bodies: bad JSON and a wrong content type are 400 at path body; a webhook over the limit is 413', async () => {
    const c = new Client(host.url);
    isError(await c.req('POST', '/api/session', { body: '{"email":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_input');
    const wrong = await c.req('POST', '/api/session', { body: 'email=a', headers: { 'content-type': 'text/plain' } });
    isError(wrong, 400, 'invalid_input');
    assert.equal(wrong.body.error.path, 'body');
    const big = await c.req('POST', '/webhooks/acme/generic', { body: 'x'.repeat(20_000), headers: { 'content-type': 'application/json' } });
    isError(big, 413, 'too_large');
  });

  test('CSRF: a cookie session needs X-CSRF-Token on unsafe methods', async () => {
    const c = new Client(host.url);
    await c.login('owner@example.com', 'correct horse battery staple');
    c.csrf = null;
    isError(await c.req('PUT', '/api/workspaces/acme/rules', { json: { rules: [] } }), 403, 'forbidden');
    c.csrf = 'not-the-token';
    isError(await c.req('PUT', '/api/workspaces/acme/rules', { json: { rules: [] } }), 403, 'forbidden');
  });

  test('roles and walls: a viewer reads but cannot ack (403); another workspace is 404', async () => {
    await owner.req('PATCH', '/api/workspaces/acme/settings', { json: { allow_unauthenticated_ingest: true } });
    const res = await fetch(`${host.url}/webhooks/acme/alertmanager`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: fixture('alertmanager/zulip_firing_2_alerts.json'),
    });
    assert.equal(res.status, 202);
    const gid = (await res.json()).alerts[0].group_id;
    const seen = await viewer.req('GET', `/api/workspaces/acme/groups/${gid}`);
    assert.equal(seen.status, 200);
    isError(await viewer.req('POST', `/api/workspaces/acme/groups/${gid}/actions`, { json: { command: 'ack' } }), 403, 'forbidden');
    isError(await owner.req('GET', '/api/workspaces/elsewhere/groups'), 404, 'not_found');
    const other = new Client(host.url);
    await other.login('other@example.com', 'other password 1234');
    isError(await other.req('GET', `/api/workspaces/elsewhere/groups/${gid}`), 404, 'not_found');
    // The actor is the principal, never a body field.
    const acked = await owner.req('POST', `/api/workspaces/acme/groups/${gid}/actions`, { json: { command: 'ack', actor: 'mallory' } });
    assert.equal(acked.status, 200, JSON.stringify(acked.body));
    const detail = await owner.req('GET', `/api/workspaces/acme/groups/${gid}`);
    assert.equal(detail.body.timeline[0].actor, 'user:owner@example.com'); // newest first
  });

  test('bulk actions: a result per id (a foreign id is a per-item not_found); ids of the wrong type are 400', async () => {
    await owner.req('PATCH', '/api/workspaces/acme/settings', { json: { allow_unauthenticated_ingest: true } });
    const res = await fetch(`${host.url}/webhooks/acme/grafana`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: fixture('grafana/grafana_docs_firing_2_alerts.json'),
    });
    const ids = (await res.json()).alerts.map((a) => a.group_id);
    const bulk = await owner.req('POST', '/api/workspaces/acme/groups/actions', { json: { ids: [...ids, 'grp_nope'], command: 'resolve' } });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    assert.deepEqual(bulk.body.results.map((r) => r.id), [...ids, 'grp_nope']);
    assert.deepEqual(bulk.body.results.slice(0, 2).map((r) => r.ok.status), ['resolved', 'resolved']);
    assert.equal(bulk.body.results[2].error.kind, 'not_found');
    isError(await owner.req('POST', '/api/workspaces/acme/groups/actions', { json: { ids: [{}], command: 'ack' } }), 400, 'invalid_input');
  });

  test('a webhook without a key is 401 when the workspace needs one', async () => {
    await owner.req('PATCH', '/api/workspaces/acme/settings', { json: { allow_unauthenticated_ingest: false } });
    const r = await fetch(`${host.url}/webhooks/acme/alertmanager`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: fixture('alertmanager/zulip_firing_2_alerts.json'),
    });
    assert.equal(r.status, 401);
    assert.equal((await r.json()).error.kind, 'unauthenticated');
  });

  test('over the ingest rate limit: 429 with Retry-After, nothing stored', async () => {
    const patched = await owner.req('PATCH', '/api/workspaces/acme/settings', {
      json: { allow_unauthenticated_ingest: true, ingest_rate_limit: { per_min: 1, burst: 1 } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const post = () => fetch(`${host.url}/webhooks/acme/sentry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sentry-hook-resource': 'event_alert', 'request-id': randomUUID().replace(/-/g, '') },
      body: fixture('sentry/issue_alert_triggered.docs.json'),
    });
    let limited = null;
    for (let i = 0; i < 3 && limited === null; i++) {
      const r = await post();
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 202);
    }
    assert.ok(limited, 'a 429 within 3 deliveries');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal((await limited.json()).error.kind, 'rate_limited');
    await owner.req('PATCH', '/api/workspaces/acme/settings', { json: { ingest_rate_limit: null } });
  });

  test('/metrics needs the --metrics-token bearer; /healthz and /readyz are open', async () => {
    isError(await new Client(host.url).req('GET', '/metrics'), 401, 'unauthenticated');
    const m = await fetch(`${host.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await m.text(), /# (TYPE|HELP) /);
    const h = await new Client(host.url).req('GET', '/healthz');
    assert.deepEqual([h.status, h.body], [200, { status: 'ok' }]);
    const ready = await new Client(host.url).req('GET', '/readyz');
    assert.deepEqual([ready.status, ready.body.status], [200, 'ready']);
  });
});
