// Compiled by `tsc --noEmit` in ./scripts/test: the declarations in index.d.ts describe a usable API.
import { Engine, type IngestOutcome, type MonitorState, type SignalCraftError, SCHEMA_VERSION } from './index';

const engine = new Engine('signalcraft.db', { now: '2026-11-30T12:00:00Z' });
engine.createWorkspace('acme');
const out: IngestOutcome = engine.ingest('acme', 'sentry', { 'Sentry-Hook-Resource': 'event_alert' }, Buffer.from('{}'));
const gid = out.alerts[0]?.group_id;
if (gid) {
  const g = engine.act('acme', gid, { command: 'snooze', until: '2026-12-01T00:00:00Z' }, 'alice', 'member');
  const status: 'open' | 'acknowledged' | 'snoozed' | 'resolved' = g.status;
  void status;
}
for (const slot of engine.ingestBatch('acme', [{ source: 'alertmanager', body: '{}' }])) {
  if ('error' in slot) console.log(slot.error.kind, slot.error.path);
  else console.log(slot.ok.outcome);
}
const page = engine.groups('acme', { status: 'open', limit: 10 });
console.log(page.groups.length, page.next_cursor, SCHEMA_VERSION);
engine.dispatch('acme', 0).then((r) => console.log(r.sent + r.failed + r.pending));
if (gid) {
  const d = engine.group('acme', gid);
  const more: string | null = d.events_next ?? d.timeline_next;
  const older = engine.groupEvents('acme', gid, more, 100);
  console.log(older.items.length, older.next, engine.groupTimeline('acme', gid).items.length);
  const ev = engine.event('acme', String((d.events[0] as { id: string }).id));
  const purged: boolean = ev.purged;
  console.log(ev.payload_text, ev.headers[0]?.[0], purged);
}
console.log(engine.addSilence('acme', { when: { field: 'severity', op: 'eq', value: 'info' }, ends_at: '2h' }, 'user:alice').created_by);
try {
  engine.group('acme', 'nope');
} catch (e) {
  const err = e as SignalCraftError;
  if (err.code === 'NOT_FOUND') console.log(err.message);
  const where: string | null = err.path;
  void where;
}
const session = engine.login('alice@example.com', 'correct horse', '127.0.0.1');
const access = engine.authorize(session.token, 'acme', 'act', true, session.csrf_token);
const actor: string = access.actor;
void actor;
const token = engine.createToken('acme', 'viewer', 'ci');
console.log(token.token, engine.tokens('acme')[0]?.last_used_at);
const key = engine.createIngestKey('acme', 'alertmanager');
const hook: IngestOutcome = engine.webhook('acme', 'auto', null, '{}', key.key);
void hook;
for (const i of engine.integrations('acme')) console.log(i.source, i.health.accepted_24h, i.health.rejected_24h['missing_key']);
try {
  engine.webhook('acme', 'alertmanager', null, '{}');
} catch (e) {
  const err = e as SignalCraftError;
  if (err.code === 'RATE_LIMITED') console.log(err.retryAfterSecs);
}
engine.close();
const inbox = engine.groups('acme', { status: ['open', 'acknowledged'], severity: 'error,critical', q: 'disk', sort: 'count', order: 'asc' });
console.log(inbox.next_cursor);
for (const slot of engine.actMany('acme', ['grp_1'], { command: 'ack' }, 'alice')) {
  if ('error' in slot) console.log(slot.id, slot.error.kind);
  else console.log(slot.id, slot.ok.status);
}
const metrics: string = engine.metricsText();
void metrics;
engine.addMaintenance('acme', { weekdays: 'mon-fri', from: '22:00', to: '06:00', tz: 'UTC' });
engine.ingestAsync('acme', 'sentry', { 'Sentry-Hook-Resource': 'event_alert' }, Buffer.from('{}')).then((o: IngestOutcome) => console.log(o.alerts.length)).catch((e: SignalCraftError) => console.log(e.path));
engine.webhookAsync('acme', 'sentry', { 'Sentry-Hook-Resource': 'event_alert' }, '{}', 'sck_x').then((o: IngestOutcome) => console.log(o.outcome)).catch((e: SignalCraftError) => console.log(e.code));
const fleet = engine.putMonitors('acme', [{ id: 'api-health', app: 'api', kind: 'http_probe', config: { url: 'http://127.0.0.1:8080/healthz' }, breach_after: 2 }]);
console.log(fleet.apps[0]?.name, fleet.monitors[0]?.config['has_token']);
engine.runMonitors('acme', { once: true }).then((states: MonitorState[]) => {
  for (const s of states) console.log(s.id, s.state, s.breaching, s.reading?.value, s.history.length, s.group_id);
});
engine.runMonitor('acme', 'api-health').then((s: MonitorState) => console.log(s.next_due_at));
for (const a of engine.apps('acme')) console.log(a.name, a.state, a.open_alerts, a.alerts_query, a.monitors.length);
