// The routing trace of an event in words for people: "why was / wasn't I paged". Pure.

/** One line of the worded trace. `tone` colours it. */
export interface TraceLine {
  step: 'key' | 'dedup' | 'rule' | 'silence' | 'maintenance' | 'channel' | 'default' | 'note' | 'escalation';
  tone: 'ok' | 'muted' | 'warn' | 'bad';
  text: string;
  detail?: string;
}

type J = Record<string, unknown>;
const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const DECISIONS: Record<string, string> = {
  new_group: 'Opened a new group',
  joined: 'Joined the existing group',
  reopened: 'Reopened the group',
  resolved: 'Resolved the group (the source said so)',
  assigned: 'Assigned the group (the source said so)',
  acknowledged: 'Acknowledged the group (the source said so)',
  unmatched: 'Matched no open group; stored, nothing changed',
  duplicate: 'Ignored: this event was already received',
};

/** "rules[0].when.all[1]: severity is warning, not ≥ error" style reason, tidied. */
export function wordReason(reason: string): string {
  return reason.replace(/^when\.?/, '').replace(/^:\s*/, '').trim();
}

/** Whether the engine's reason for a channel means it was notified (when the route is unknown). */
export function channelNotified(why: string): boolean {
  return !/^(suppressed|already notified|no notification)|never heard/i.test(why.trim());
}

/**
 * The trace (as the API answers it in an event or a dry run) in words, in decision order.
 * `notify` (the route's channels notified), when known, decides which channels were notified.
 */
export function wordTrace(traceIn: unknown, decision?: string | null, notify?: string[] | null): TraceLine[] {
  const t = obj(traceIn);
  const lines: TraceLine[] = [];
  const key = obj(t.group_key);
  if (Object.keys(key).length) {
    const parts = ['source', 'project', 'environment', 'fingerprint']
      .map((k) => `${k} ${str(key[k]) ?? '—'}`)
      .join(', ');
    lines.push({ step: 'key', tone: 'muted', text: `Grouped by ${parts}`, detail: str(key.key) ?? undefined });
  }
  const dedup = obj(t.dedup);
  const d = str(dedup.decision) ?? decision ?? null;
  if (d) {
    const reason = str(dedup.reason);
    lines.push({
      step: 'dedup',
      tone: d === 'duplicate' || d === 'unmatched' ? 'muted' : 'ok',
      text: DECISIONS[d] ?? d,
      detail: reason ?? undefined,
    });
  }
  if (typeof t.idempotency === 'string') {
    lines.push({ step: 'dedup', tone: 'muted', text: 'Ignored: already received', detail: t.idempotency });
  }
  const routing = obj(t.routing);
  const rules = arr(routing.rules);
  if (rules.length === 0 && arr(routing.matched).length) {
    for (const id of arr(routing.matched)) lines.push({ step: 'rule', tone: 'ok', text: `Rule “${String(id)}” matched` });
  }
  for (const r of rules) {
    const rr = obj(r);
    const id = str(rr.rule) ?? '?';
    const reason = str(rr.reason);
    switch (rr.result) {
      case 'matched':
        lines.push({ step: 'rule', tone: 'ok', text: `Rule “${id}” matched` });
        break;
      case 'no_match':
        lines.push({
          step: 'rule',
          tone: 'muted',
          text: `Rule “${id}” did not match`,
          detail: reason ? `because ${wordReason(reason)}` : undefined,
        });
        break;
      case 'disabled':
        lines.push({ step: 'rule', tone: 'muted', text: `Rule “${id}” is disabled, skipped` });
        break;
      case 'not_evaluated':
        lines.push({
          step: 'rule',
          tone: 'muted',
          text: `Rule “${id}” was not evaluated`,
          detail: reason ? `because ${reason.replace(/^rule/, 'rule')}` : undefined,
        });
        break;
      default:
        lines.push({ step: 'rule', tone: 'muted', text: `Rule “${id}”: ${String(rr.result)}` });
    }
  }
  if (rules.length === 0 && arr(routing.matched).length === 0 && Object.keys(routing).length) {
    lines.push({ step: 'rule', tone: 'warn', text: 'No rule matched' });
  }
  const def = str(routing.default_route);
  if (def) lines.push({ step: 'default', tone: 'warn', text: 'Default route applied', detail: def });
  for (const s of arr(routing.silences)) lines.push({ step: 'silence', tone: 'warn', text: `Muted by silence ${String(s)}` });
  for (const m of arr(routing.maintenance)) lines.push({ step: 'maintenance', tone: 'warn', text: `In maintenance window ${String(m)}` });
  const channels = obj(routing.channels);
  const names = Object.keys(channels);
  for (const name of names) {
    const why = String(channels[name]);
    const notified = notify ? notify.includes(name) : channelNotified(why);
    lines.push({
      step: 'channel',
      tone: notified ? 'ok' : 'warn',
      text: notified ? `Notified ${name}` : `Did not notify ${name}`,
      detail: why,
    });
  }
  if (Object.keys(routing).length && names.length === 0) {
    lines.push({ step: 'channel', tone: 'muted', text: 'No channel was notified', detail: 'no matched rule names a channel' });
  }
  const esc = t.escalation;
  if (typeof esc === 'string') lines.push({ step: 'escalation', tone: 'ok', text: `Escalation policy “${esc}” started` });
  else if (esc && typeof esc === 'object') {
    const e = obj(esc);
    lines.push({ step: 'escalation', tone: 'ok', text: `Escalation policy “${str(e.policy) ?? str(e.name) ?? '?'}”`, detail: str(e.reason) ?? undefined });
  }
  for (const n of arr(t.notes)) lines.push({ step: 'note', tone: 'muted', text: String(n) });
  return lines;
}

/** The one-sentence answer to "was I paged, and why". */
export function pagedSummary(lines: TraceLine[]): string {
  const notified = lines.filter((l) => l.step === 'channel' && l.tone === 'ok').map((l) => l.text.replace(/^Notified /, ''));
  const muted = lines.find((l) => l.step === 'silence' || l.step === 'maintenance');
  if (notified.length) return `Notified ${notified.join(', ')}.`;
  if (muted) return `Not notified: ${muted.text.toLowerCase()}.`;
  const held = lines.find((l) => l.step === 'channel' && l.tone === 'warn');
  if (held) return `Not notified: ${held.detail ?? held.text}.`;
  if (lines.some((l) => l.step === 'dedup' && /Ignored/.test(l.text))) return 'Not notified: a duplicate delivery.';
  if (!lines.some((l) => l.step === 'rule' && l.tone === 'ok')) return 'Not notified: no rule matched.';
  return 'Not notified: the matched rules name no channel.';
}
