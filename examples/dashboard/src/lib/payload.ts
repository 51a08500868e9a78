// Payloads for the rule tester: a stored event's raw delivery made testable (a dry run of the
// exact stored bytes would be a known duplicate), and fresh ids for any payload.

/** The payload with every 32-hex-digit id replaced by a fresh one, so a dry run is not a known duplicate. */
export function freshIds(body: string, random: () => string = randomHex): string {
  return body.replace(/\b[0-9a-f]{32}\b/g, () => random());
}

function randomHex(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** What `GET …/events/{id}` answers (the fields the tester reads). */
export interface StoredPayload {
  id: string;
  source: string;
  payload_text: string | null;
  /** `[name, value]` pairs. */
  headers: string[][];
  purged: boolean;
}

/** What the tester loads: source, body and headers for `POST …/rules/test`, or why it cannot. */
export type Testable =
  | { ok: true; source: string; body: string; headers: Record<string, string>; dropped: string[] }
  | { ok: false; reason: string };

/** Headers a dry run must not see again: the delivery id (a repeat would be a duplicate) and
 *  credentials the store redacted (their placeholder is no credential) — named to the user —
 *  and the transport's own (length and host of the old request), dropped silently. */
const DROP = new Set(['request-id']);
const TRANSPORT = new Set(['content-length', 'host', 'connection', 'transfer-encoding']);

/** The stored delivery as a dry run takes it: ids fresh, delivery-id and redacted headers dropped. */
export function testable(e: StoredPayload, random: () => string = randomHex): Testable {
  if (e.purged) return { ok: false, reason: 'Retention has purged this event\u2019s raw payload; only its normalized alert is kept.' };
  if (e.payload_text === null) return { ok: false, reason: 'The stored payload is not text.' };
  if (e.source === 'monitor') return { ok: false, reason: 'A monitor alert comes from a check, not a webhook delivery: there is no payload to test.' };
  const headers: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of e.headers) {
    if (name === undefined || value === undefined) continue;
    if (TRANSPORT.has(name.toLowerCase())) continue;
    if (DROP.has(name.toLowerCase()) || value === '[redacted]') dropped.push(name);
    else headers[name] = value;
  }
  return { ok: true, source: e.source, body: freshIds(e.payload_text, random), headers, dropped };
}
