// `--demo`: what `fixtures/demo.json` describes (shared with the other hosts): workspace `demo`
// with an owner (password printed once), a webhook channel pointed at this host's loopback sink,
// rules, an escalation policy, HTTP probes of this host's own /healthz and /readyz (the Fleet
// page), and a day of traffic from the bundled real payloads. Each past
// moment is ingested by an engine opened on the same database with its clock pinned to that
// moment, so received times, dedup windows, timelines and stats are what they would have been;
// the serving engine's background loop then delivers what was queued.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openEngine, type Core, type HeaderPairs, type Json, type JsonObject } from './engine';

const FIXTURES = join(__dirname, '..', 'fixtures');

interface Delivery {
  source: string;
  file: string;
  headers?: Record<string, string>;
  /** A dotted JSON path given a fresh 32-hex value (a repeat is then a new event). */
  fresh_id?: string;
}

interface Moment {
  hours_ago: number;
  delivery?: Delivery;
  /** `snooze_hours`: for a snooze, `until` = the seeding time + this many hours. */
  act?: { command: JsonObject; on?: number; which?: number; snooze_hours?: number };
}

interface Demo {
  workspace: string;
  owner: { email: string; name: string };
  settings_patch: JsonObject;
  channel: { name: string; kind: string; sink_path: string };
  escalation: { name: string; policy: Json };
  rules: Json;
  moments: Moment[];
  /** The fleet monitors document, `{base}` standing for the host's own URL. */
  monitors?: Json;
}

function hex32(): string {
  return randomUUID().replace(/-/g, '');
}

/** The delivery's body: the fixture's bytes, or with `fresh_id` set anew (compact JSON). */
function bodyOf(d: Delivery): Buffer {
  const bytes = readFileSync(join(FIXTURES, d.file));
  if (!d.fresh_id) return bytes;
  const doc = JSON.parse(bytes.toString('utf8')) as JsonObject;
  const path = d.fresh_id.split('.');
  let at: JsonObject = doc;
  for (const key of path.slice(0, -1)) at = at[key] as JsonObject;
  at[path[path.length - 1]] = hex32();
  return Buffer.from(JSON.stringify(doc));
}

function headersOf(d: Delivery): HeaderPairs {
  const h: HeaderPairs = [['Content-Type', 'application/json']];
  for (const [k, v] of Object.entries(d.headers ?? {})) h.push([k, v]);
  if (d.source === 'sentry') h.push(['Request-ID', hex32()]);
  return h;
}

function groupIds(outcome: JsonObject): string[] {
  const alerts = Array.isArray(outcome.alerts) ? outcome.alerts : [];
  const ids: string[] = [];
  for (const a of alerts) {
    if (a && typeof a === 'object' && !Array.isArray(a) && typeof a.group_id === 'string') ids.push(a.group_id);
  }
  return ids;
}

/** One level of merge: the demo's settings over the defaults. */
function patched(settings: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...settings };
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    out[k] = cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v) ? { ...cur, ...v } : v;
  }
  return out;
}

/** Seeds the demo workspace once (a database that has it is left as it is). */
export function seedDemo(engine: Core, db: string, opts: { base: string; maxBodyBytes: number }, log: Logger): void {
  const demo = JSON.parse(readFileSync(join(FIXTURES, 'demo.json'), 'utf8')) as Demo;
  const ws = demo.workspace;
  if (engine.workspaces().some((w) => w.name === ws)) {
    log.info({ workspace: ws }, 'demo workspace exists; not seeded again (its owner password was printed when it was made)');
    return;
  }
  const password = randomBytes(12).toString('base64url');
  engine.addUser(demo.owner.email, password, demo.owner.name);
  engine.createWorkspace(ws, demo.owner.email);
  engine.setSettings(ws, patched(engine.settings(ws), demo.settings_patch));
  engine.setChannel(ws, demo.channel.name, demo.channel.kind, { url: `${opts.base}${demo.channel.sink_path}` });
  engine.putEscalation(ws, demo.escalation.name, demo.escalation.policy);
  engine.putRules(ws, demo.rules);
  if (demo.monitors !== undefined) {
    engine.putMonitors(ws, JSON.parse(JSON.stringify(demo.monitors).split('{base}').join(opts.base)) as Json);
  }

  const actor = `user:${demo.owner.email}`;
  const now = Date.now();
  const groupsOf: string[][] = [];
  let alerts = 0;
  for (const [i, m] of demo.moments.entries()) {
    const at = new Date(now - m.hours_ago * 3600_000).toISOString();
    const { engine: past } = openEngine(db, { maxBodyBytes: opts.maxBodyBytes, now: at });
    try {
      groupsOf[i] = m.delivery ? groupIds(past.ingest(ws, m.delivery.source, headersOf(m.delivery), bodyOf(m.delivery))) : [];
      alerts += groupsOf[i].length;
      if (m.act) {
        const id = groupsOf[m.act.on ?? i]?.[m.act.which ?? 0];
        const command: JsonObject = { ...m.act.command };
        if (m.act.snooze_hours !== undefined) command.until = new Date(now + m.act.snooze_hours * 3600_000).toISOString();
        if (id) past.act(ws, id, command, actor, 'owner');
      }
    } finally {
      past.close();
    }
  }
  log.info({ workspace: ws, deliveries: demo.moments.filter((m) => m.delivery).length, alerts }, 'demo workspace seeded with a day of traffic');
  process.stdout.write(
    `\n  SignalCraft demo: workspace "${ws}", owner ${demo.owner.email}, password ${password}\n` +
      `  (shown once; log in with POST ${opts.base}/api/session, or open ${opts.base}/)\n\n`,
  );
}
