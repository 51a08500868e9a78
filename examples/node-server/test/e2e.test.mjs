// The seed's end-to-end flow through the host's HTTP only, against a Slack-shaped server on
// 127.0.0.1: the Slack OAuth install (connect -> 302 -> callback -> oauth.v2.access -> channel),
// then a signed Sentry webhook (a real fixture) -> a group -> a Slack message with buttons -> a
// signed button click on /slack/actions -> the group acknowledged -> the message updated in
// place. Then the host's logs: request ids everywhere, no credential or secret anywhere.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  bootstrap, Client, fixture, sentrySignature, slackHeaders, startHost, startSlack, tempDir, waitFor,
} from './helpers.mjs';

const SENTRY_SECRET = 'sentry-client-secret-e2e-7f3a';
const SIGNING_SECRET = 'slack-signing-secret-e2e-91c2';
const CLIENT_ID = '1111.2222-e2e';
const CLIENT_SECRET = 'slack-client-secret-e2e-5d8e';
const SENTRY_ALERT = 'sentry/issue_alert_triggered.docs.json';
/** The ts the Slack-shaped server gives its first message. */
const POSTED_TS = '1700000000.000001';

describe('end to end through the host', () => {
  let tmp;
  let slack;
  let host;
  let owner;
  let client;
  const secrets = new Set([SENTRY_SECRET, SIGNING_SECRET, CLIENT_SECRET]);

  before(async () => {
    tmp = tempDir();
    slack = await startSlack();
    secrets.add(slack.botToken);
    const db = join(tmp.dir, 'signalcraft.db');
    owner = bootstrap(db);
    secrets.add(owner.password);
    host = await startHost({
      db,
      env: {
        SIGNALCRAFT_ALLOW_PRIVATE_TARGETS: '1',
        SLACK_CLIENT_ID: CLIENT_ID,
        SLACK_CLIENT_SECRET: CLIENT_SECRET,
        SLACK_API_BASE: slack.base,
        SLACK_AUTHORIZE_URL: `${slack.base}/oauth/v2/authorize`,
      },
    });
    client = new Client(host.url);
    await client.login(owner.email, owner.password);
    secrets.add(client.cookie.split('=')[1]);
    secrets.add(client.csrf);
  });

  after(async () => {
    await host?.stop();
    await slack?.close();
    tmp?.cleanup();
  });

  let slackState;

  test('Slack OAuth install: connect answers 302 to Slack; the callback exchanges the code and makes the channel', async () => {
    const r = await client.req('GET', '/api/workspaces/acme/integrations/slack/connect?slack_channel=%23alerts');
    assert.equal(r.status, 302, JSON.stringify(r.body));
    const loc = new URL(r.headers.get('location'));
    assert.equal(`${loc.origin}${loc.pathname}`, `${slack.base}/oauth/v2/authorize`);
    assert.equal(loc.searchParams.get('client_id'), CLIENT_ID);
    assert.match(loc.searchParams.get('scope') ?? '', /chat:write/);
    assert.equal(loc.searchParams.get('redirect_uri'), `${host.url}/api/slack/oauth/callback`);
    slackState = loc.searchParams.get('state');
    assert.ok(slackState, 'a state in the authorize URL');
    secrets.add(slackState);
    secrets.add('code-e2e-4411');

    // Slack sends the browser back with a code (no session needed: the state authenticates).
    const cb = await fetch(`${host.url}/api/slack/oauth/callback?code=code-e2e-4411&state=${encodeURIComponent(slackState)}`);
    const installed = await cb.json();
    assert.equal(cb.status, 200, JSON.stringify(installed));
    assert.equal(installed.team_id, slack.teamId);
    assert.equal(installed.channel, 'slack');

    const access = slack.calls.filter((c) => c.method === 'oauth.v2.access');
    assert.equal(access.length, 1);
    assert.equal(access[0].body.code, 'code-e2e-4411');

    const channels = await client.req('GET', '/api/workspaces/acme/channels');
    assert.equal(channels.status, 200);
    const ch = channels.body.channels.find((c) => c.name === 'slack');
    assert.ok(ch, `a slack channel in ${JSON.stringify(channels.body)}`);
    assert.equal(ch.kind, 'slack');
    assert.ok(!JSON.stringify(ch).includes(slack.botToken), 'the bot token is masked');

    // The state is single use.
    const again = await fetch(`${host.url}/api/slack/oauth/callback?code=code-e2e-4411&state=${encodeURIComponent(slackState)}`);
    assert.equal(again.status, 400);
    assert.equal((await again.json()).error.kind, 'invalid_input');
  });

  test('signed Sentry webhook -> group -> Slack buttons -> signed click -> acknowledged -> chat.update', async () => {
    const sentry = await client.req('PUT', '/api/workspaces/acme/integrations/sentry', { json: { secret: SENTRY_SECRET } });
    assert.equal(sentry.status, 200, JSON.stringify(sentry.body));
    const signing = await client.req('PUT', '/api/workspaces/acme/integrations/slack', { json: { secret: SIGNING_SECRET } });
    assert.equal(signing.status, 200, JSON.stringify(signing.body));
    const rules = await client.req('PUT', '/api/workspaces/acme/rules', {
      json: { rules: [{ id: 'all-to-slack', name: 'Everything to Slack', when: {}, then: { notify: ['slack'] } }] },
    });
    assert.equal(rules.status, 200, JSON.stringify(rules.body));

    const body = fixture(SENTRY_ALERT);
    const sentryHeaders = (signature) => ({
      'content-type': 'application/json',
      'sentry-hook-resource': 'event_alert',
      'sentry-hook-timestamp': String(Math.floor(Date.now() / 1000)),
      'request-id': randomUUID().replace(/-/g, ''),
      'sentry-hook-signature': signature,
    });

    const forged = await fetch(`${host.url}/webhooks/acme/sentry`, {
      method: 'POST', headers: sentryHeaders(sentrySignature('not-the-secret', body)), body,
    });
    assert.equal(forged.status, 401);
    assert.equal((await forged.json()).error.kind, 'signature');

    const res = await fetch(`${host.url}/webhooks/acme/sentry`, {
      method: 'POST', headers: sentryHeaders(sentrySignature(SENTRY_SECRET, body)), body,
    });
    const outcome = await res.json();
    assert.equal(res.status, 202, JSON.stringify(outcome));
    assert.equal(outcome.outcome, 'accepted');
    assert.equal(outcome.alerts[0].decision, 'new_group');
    const gid = outcome.alerts[0].group_id;

    const group = await client.req('GET', `/api/workspaces/acme/groups/${gid}`);
    assert.equal(group.status, 200);
    assert.equal(group.body.status, 'open');

    // The background dispatcher posts the message, with buttons, as the installed bot.
    const post = await waitFor('chat.postMessage', () => slack.calls.find((c) => c.method === 'chat.postMessage'));
    assert.equal(post.headers.authorization, `Bearer ${slack.botToken}`);
    const buttons = post.body.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    const ack = buttons.find((e) => e.action_id === 'signalcraft_ack');
    assert.ok(ack, `an Acknowledge button in ${JSON.stringify(post.body.blocks)}`);
    assert.equal(ack.value, gid);
    const message = slack.calls.length;

    // Someone clicks Acknowledge: Slack posts the signed block_actions payload.
    const payload = JSON.parse(fixture('slack/block_actions_button.payload.json').toString('utf8'));
    payload.team.id = slack.teamId;
    payload.user.team_id = slack.teamId;
    payload.actions[0].action_id = ack.action_id;
    payload.actions[0].value = ack.value;
    payload.channel.id = 'C0ALERTS';
    payload.container.channel_id = 'C0ALERTS';
    payload.container.message_ts = POSTED_TS;
    payload.container.is_ephemeral = false;
    const form = `payload=${encodeURIComponent(JSON.stringify(payload))}`;

    const unsigned = await fetch(`${host.url}/slack/actions`, {
      method: 'POST', headers: { ...slackHeaders('wrong-secret', form) }, body: form,
    });
    assert.equal(unsigned.status, 401);

    const click = await fetch(`${host.url}/slack/actions`, { method: 'POST', headers: slackHeaders(SIGNING_SECRET, form), body: form });
    const reply = await click.json();
    assert.equal(click.status, 200, JSON.stringify(reply));
    assert.equal(typeof reply, 'object');

    const acked = await client.req('GET', `/api/workspaces/acme/groups/${gid}`);
    assert.equal(acked.body.status, 'acknowledged');
    const last = acked.body.timeline[0]; // newest first
    assert.equal(last.actor, 'slack:W111');

    // The message is rewritten in place: chat.update of the same channel and ts.
    const update = await waitFor('chat.update', () => slack.calls.slice(message).find((c) => c.method === 'chat.update'));
    assert.equal(update.body.ts, POSTED_TS);
    assert.equal(update.body.channel, 'C0ALERTS');
    assert.ok(JSON.stringify(post.body.blocks).includes('Open'), 'the first message says Open');
    assert.ok(JSON.stringify(update.body.blocks ?? []).includes('Acknowledged'), 'the updated message says Acknowledged');
  });

  test('logs: JSON with a request id on every request line; no credential, token or secret', async () => {
    // A webhook with ?key= and a bearer token: both must stay out of the logs.
    const key = await client.req('POST', '/api/workspaces/acme/integrations/datadog/keys');
    assert.equal(key.status, 201, JSON.stringify(key.body));
    secrets.add(key.body.key);
    const dd = await fetch(`${host.url}/webhooks/acme/datadog?key=${encodeURIComponent(key.body.key)}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: fixture('datadog/relay_default_payload_service_check_triggered.json'),
    });
    assert.equal(dd.status, 202);
    const token = await client.req('POST', '/api/workspaces/acme/tokens', { json: { role: 'viewer', name: 'e2e-reader' } });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    secrets.add(token.body.token);
    const me = await fetch(`${host.url}/api/me`, { headers: { authorization: `Bearer ${token.body.token}` } });
    assert.equal(me.status, 200);

    await new Promise((r) => setTimeout(r, 200)); // the last lines reach the pipe
    const requestLines = host.logs.filter((l) => l.includes('"incoming request"') || l.includes('"request completed"'));
    assert.ok(requestLines.length >= 10, `request lines: ${requestLines.length}`);
    for (const l of requestLines) assert.match(JSON.parse(l).reqId ?? '', /^[0-9a-f-]{36}$/);
    const all = host.logs.join('\n');
    assert.ok(all.includes('[redacted]'), 'the key query value is shown as [redacted]');
    for (const s of secrets) assert.ok(!all.includes(s), `a secret in the logs: ${s.slice(0, 6)}…`);
  });
});
