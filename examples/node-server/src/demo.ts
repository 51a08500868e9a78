// `--demo`: workspace `demo` with an owner (password printed once), a webhook channel pointed at
// this host's loopback sink, rules, an escalation policy, and a day of traffic from the bundled
// real payloads. Each past moment is ingested by an engine opened on the same database with its
// clock pinned to that moment, so received times, dedup windows, timelines and stats are what
// they would have been; the serving engine's background loop then delivers what was queued.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openEngine, type Core, type HeaderPairs, type Json } from './engine';

const WORKSPACE = 'demo';
const OWNER = 'owner@example.com';
const OWNER_ACTOR = `user:${OWNER}`;
const FIXTURES = join(__dirname, '..', 'fixtures');

/** A lifecycle command by the owner on a group: of this moment's delivery, or of an earlier moment's. */
interface Act {
  command: Json;
  /** The index in `moments()` of the delivery whose group it is (default: this moment's). */
  on?: number;
  /** Which of that delivery's groups (default the first). */
  which?: number;
}

/** One moment of the demo's day: `hoursAgo`, what arrived (if anything), and what someone did then. */
interface Moment {
  hoursAgo: number;
  delivery?: { source: string; file: string; headers?: Record<string, string> };
  act?: Act;
}

const SENTRY_ALERT = 'sentry/issue_alert_triggered.docs.json';
const sentryAlert = { source: 'sentry', file: SENTRY_ALERT, headers: { 'Sentry-Hook-Resource': 'event_alert' } };
const sentryError = { source: 'sentry', file: 'sentry/error_created.docs.json', headers: { 'Sentry-Hook-Resource': 'error' } };
const datadog = { source: 'datadog', file: 'datadog/relay_default_payload_service_check_triggered.json' };
const grafana = { source: 'grafana', file: 'grafana/grafana_docs_firing_2_alerts.json' };
const zulipAm = { source: 'alertmanager', file: 'alertmanager/zulip_firing_2_alerts.json' };
const msteamsAm = { source: 'alertmanager', file: 'alertmanager/prometheus-msteams_firing_3_alerts.json' };
const pagerduty = { source: 'pagerduty', file: 'pagerduty/events_v2_trigger.docs.json' };

function moments(now: Date): Moment[] {
  const snoozeUntil = new Date(now.getTime() + 3 * 3600_000).toISOString();
  return [
    /* 0 */ { hoursAgo: 23, delivery: sentryAlert },
    /* 1 */ { hoursAgo: 22, delivery: sentryAlert },
    /* 2 */ { hoursAgo: 21.5, act: { command: { command: 'ack' }, on: 0 } },
    /* 3 */ { hoursAgo: 20, delivery: zulipAm },
    /* 4 */ { hoursAgo: 19.5, act: { command: { command: 'resolve' }, on: 3, which: 1 } },
    /* 5 */ { hoursAgo: 18, delivery: sentryAlert },
    /* 6 */ { hoursAgo: 16, delivery: sentryError },
    /* 7 */ { hoursAgo: 15, act: { command: { command: 'assign', user: OWNER }, on: 6 } },
    /* 8 */ { hoursAgo: 14.5, delivery: sentryError },
    /* 9 */ { hoursAgo: 12, delivery: grafana },
    /* 10 */ { hoursAgo: 11, act: { command: { command: 'snooze', until: snoozeUntil }, on: 9 } },
    /* 11 */ { hoursAgo: 9, delivery: sentryAlert },
    /* 12 */ { hoursAgo: 8, delivery: msteamsAm },
    /* 13 */ { hoursAgo: 7.5, act: { command: { command: 'note', text: 'looking at the memory dashboards' }, on: 12, which: 2 } },
    /* 14 */ { hoursAgo: 6, delivery: datadog },
    /* 15 */ { hoursAgo: 5.5, delivery: datadog },
    /* 16 */ { hoursAgo: 5, delivery: pagerduty },
    /* 17 */ { hoursAgo: 4.5, act: { command: { command: 'ack' }, on: 16 } },
    /* 18 */ { hoursAgo: 3, delivery: { source: 'opsgenie', file: 'opsgenie/zulip_opsgenie_create.json' } },
    /* 19 */ { hoursAgo: 2.5, act: { command: { command: 'resolve' }, on: 14 } },
    /* 20 */ { hoursAgo: 2, delivery: sentryAlert },
    /* 21 */ { hoursAgo: 1, delivery: msteamsAm },
    /* 22 */ { hoursAgo: 0.5, delivery: sentryAlert },
  ];
}

/**
 * The fixture as a new event: a re-fired alert carries its own event id (Sentry `event_id`,
 * Datadog `id`), otherwise the engine rightly answers the repeat as a duplicate.
 */
function freshEvent(source: string, body: Buffer): Buffer {
  const text = body.toString('utf8');
  if (source === 'sentry') {
    return Buffer.from(text.replace(/"event_id": "[0-9a-f]{32}"/, `"event_id": "${randomUUID().replace(/-/g, '')}"`));
  }
  if (source === 'datadog') {
    return Buffer.from(text.replace(/"id": "(\d+)"\n}/, `"id": "${BigInt.asUintN(62, BigInt('0x' + randomBytes(8).toString('hex')))}"\n}`));
  }
  return body;
}

const RULES: Json = [
  {
    id: 'errors-page-oncall',
    name: 'Errors and worse go to the on-call hook and escalate',
    priority: 10,
    when: { field: 'severity', op: 'gte', value: 'error' },
    then: { notify: ['oncall-hook'], escalation: 'default' },
  },
  {
    id: 'everything-else',
    name: 'Everything else is posted to the hook',
    priority: 100,
    when: {},
    then: { notify: ['oncall-hook'] },
  },
];

const ESCALATION: Json = {
  steps: [
    { after_mins: 15, notify: ['oncall-hook'] },
    { after_mins: 60, notify: ['oncall-hook'] },
  ],
  repeat: 0,
};

function headersOf(d: NonNullable<Moment['delivery']>): HeaderPairs {
  const h: HeaderPairs = [['Content-Type', 'application/json']];
  for (const [k, v] of Object.entries(d.headers ?? {})) h.push([k, v]);
  if (d.source === 'sentry') h.push(['Request-ID', randomUUID().replace(/-/g, '')]);
  return h;
}

function groupIds(outcome: { [k: string]: Json }): string[] {
  const alerts = Array.isArray(outcome.alerts) ? outcome.alerts : [];
  const ids: string[] = [];
  for (const a of alerts) {
    if (a && typeof a === 'object' && !Array.isArray(a) && typeof a.group_id === 'string') ids.push(a.group_id);
  }
  return ids;
}

/** Seeds the demo workspace once (a database that has it is left as it is). */
export function seedDemo(engine: Core, db: string, opts: { base: string; maxBodyBytes: number }, log: Logger): void {
  if (engine.workspaces().some((w) => w.name === WORKSPACE)) {
    log.info({ workspace: WORKSPACE }, 'demo workspace exists; not seeded again (its owner password was printed when it was made)');
    return;
  }
  const password = randomBytes(12).toString('base64url');
  engine.addUser(OWNER, password, 'Demo Owner');
  engine.createWorkspace(WORKSPACE, OWNER);
  // A repeat joins its group until someone resolves it, so the inbox shows counts.
  const settings = engine.settings(WORKSPACE);
  const dedup = settings.dedup;
  if (dedup && typeof dedup === 'object' && !Array.isArray(dedup)) {
    engine.setSettings(WORKSPACE, { ...settings, dedup: { ...dedup, window: 'until_resolved' } });
  }
  engine.setChannel(WORKSPACE, 'oncall-hook', 'webhook', { url: `${opts.base}/demo/sink` });
  engine.putEscalation(WORKSPACE, 'default', ESCALATION);
  engine.putRules(WORKSPACE, RULES);

  const now = new Date();
  const list = moments(now);
  const groupsOf: string[][] = [];
  let alerts = 0;
  for (const [i, m] of list.entries()) {
    const at = new Date(now.getTime() - m.hoursAgo * 3600_000).toISOString();
    const { engine: past } = openEngine(db, { maxBodyBytes: opts.maxBodyBytes, now: at });
    try {
      groupsOf[i] = [];
      if (m.delivery) {
        const body = freshEvent(m.delivery.source, readFileSync(join(FIXTURES, m.delivery.file)));
        groupsOf[i] = groupIds(past.ingest(WORKSPACE, m.delivery.source, headersOf(m.delivery), body));
        alerts += groupsOf[i].length;
      }
      if (m.act) {
        const id = groupsOf[m.act.on ?? i]?.[m.act.which ?? 0];
        if (id) past.act(WORKSPACE, id, m.act.command, OWNER_ACTOR, 'owner');
      }
    } finally {
      past.close();
    }
  }
  log.info({ workspace: WORKSPACE, deliveries: list.filter((m) => m.delivery).length, alerts }, 'demo workspace seeded with a day of traffic');
  process.stdout.write(
    `\n  SignalCraft demo: workspace "${WORKSPACE}", owner ${OWNER}, password ${password}\n` +
      `  (shown once; log in with POST ${opts.base}/api/session)\n\n`,
  );
}
