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

type Act = { command: Json; which?: number };

/** One moment of the demo's day: `hoursAgo`, what arrived, and what someone did then. */
interface Moment {
  hoursAgo: number;
  source: string;
  file: string;
  headers?: Record<string, string>;
  /** A lifecycle command on the delivery's `which`-th group (default the first). */
  act?: Act;
}

const SENTRY_ALERT = 'sentry/issue_alert_triggered.docs.json';
const sentry = (resource: string) => ({ 'Sentry-Hook-Resource': resource });

function moments(now: Date): Moment[] {
  const snoozeUntil = new Date(now.getTime() + 3 * 3600_000).toISOString();
  return [
    { hoursAgo: 23, source: 'sentry', file: SENTRY_ALERT, headers: sentry('event_alert') },
    { hoursAgo: 22, source: 'sentry', file: SENTRY_ALERT, headers: sentry('event_alert') },
    { hoursAgo: 21.5, source: 'sentry', file: SENTRY_ALERT, headers: sentry('event_alert'), act: { command: { command: 'ack' } } },
    { hoursAgo: 20, source: 'alertmanager', file: 'alertmanager/zulip_firing_2_alerts.json' },
    { hoursAgo: 19.5, source: 'alertmanager', file: 'alertmanager/zulip_firing_2_alerts.json', act: { command: { command: 'resolve' }, which: 1 } },
    { hoursAgo: 18, source: 'sentry', file: SENTRY_ALERT, headers: sentry('event_alert') },
    { hoursAgo: 16, source: 'sentry', file: 'sentry/error_created.docs.json', headers: sentry('error') },
    { hoursAgo: 15, source: 'sentry', file: 'sentry/error_created.docs.json', headers: sentry('error'), act: { command: { command: 'assign', user: OWNER } } },
    { hoursAgo: 12, source: 'grafana', file: 'grafana/grafana_docs_firing_2_alerts.json' },
    { hoursAgo: 11, source: 'grafana', file: 'grafana/grafana_docs_firing_2_alerts.json', act: { command: { command: 'snooze', until: snoozeUntil } } },
    { hoursAgo: 9, source: 'sentry', file: SENTRY_ALERT, headers: sentry('event_alert') },
    { hoursAgo: 8, source: 'alertmanager', file: 'alertmanager/prometheus-msteams_firing_3_alerts.json' },
    { hoursAgo: 7.5, source: 'alertmanager', file: 'alertmanager/prometheus-msteams_firing_3_alerts.json', act: { command: { command: 'note', text: 'looking at the API latency dashboards' }, which: 2 } },
    { hoursAgo: 6, source: 'datadog', file: 'datadog/relay_default_payload_service_check_triggered.json' },
    { hoursAgo: 5, source: 'pagerduty', file: 'pagerduty/events_v2_trigger.docs.json' },
    { hoursAgo: 4.5, source: 'pagerduty', file: 'pagerduty/events_v2_acknowledge.docs.json' },
    { hoursAgo: 3, source: 'opsgenie', file: 'opsgenie/zulip_opsgenie_create.json' },
    { hoursAgo: 2.5, source: 'datadog', file: 'datadog/relay_default_payload_service_check_triggered.json', act: { command: { command: 'resolve' } } },
    { hoursAgo: 2, source: 'sentry', file: SENTRY_ALERT, headers: sentry('event_alert') },
    { hoursAgo: 1, source: 'sentry', file: 'sentry/issue_resolved.zulip.json', headers: sentry('issue') },
    { hoursAgo: 0.5, source: 'sentry', file: SENTRY_ALERT, headers: sentry('event_alert') },
  ];
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

function headersOf(m: Moment): HeaderPairs {
  const h: HeaderPairs = [['Content-Type', 'application/json']];
  for (const [k, v] of Object.entries(m.headers ?? {})) h.push([k, v]);
  if (m.source === 'sentry') h.push(['Request-ID', randomUUID().replace(/-/g, '')]);
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
  engine.setChannel(WORKSPACE, 'oncall-hook', 'webhook', { url: `${opts.base}/demo/sink` });
  engine.putEscalation(WORKSPACE, 'default', ESCALATION);
  engine.putRules(WORKSPACE, RULES);

  const now = new Date();
  const list = moments(now);
  let events = 0;
  for (const m of list) {
    const at = new Date(now.getTime() - m.hoursAgo * 3600_000).toISOString();
    const { engine: past } = openEngine(db, { maxBodyBytes: opts.maxBodyBytes, now: at });
    try {
      const body = readFileSync(join(FIXTURES, m.file));
      const out = past.ingest(WORKSPACE, m.source, headersOf(m), body);
      const ids = groupIds(out);
      events += ids.length;
      if (m.act) {
        const id = ids[m.act.which ?? 0];
        if (id) past.act(WORKSPACE, id, m.act.command, OWNER_ACTOR, 'owner');
      }
    } finally {
      past.close();
    }
  }
  log.info({ workspace: WORKSPACE, deliveries: list.length, alerts: events }, 'demo workspace seeded with a day of traffic');
  process.stdout.write(
    `\n  SignalCraft demo: workspace "${WORKSPACE}", owner ${OWNER}, password ${password}\n` +
      `  (shown once; log in with POST ${opts.base}/api/session)\n\n`,
  );
}
