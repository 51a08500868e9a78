import { describe, expect, it } from 'vitest';
import { freshIds, testable, type StoredPayload } from '../../src/lib/payload';

const counter = () => { let n = 0; return () => (n++).toString(16).padStart(32, '0'); };

const stored: StoredPayload = {
  id: 'evt_1',
  source: 'sentry',
  payload_text: '{"data":{"event":{"event_id":"0123456789abcdef0123456789abcdef","title":"x"}},"id":"0123456789abcdef0123456789abcdef"}',
  headers: [['Host', '127.0.0.1:8080'], ['Content-Type', 'application/json'], ['Content-Length', '120'], ['Sentry-Hook-Resource', 'event_alert'], ['Request-ID', '1d1b4c5e'], ['Authorization', '[redacted]']],
  purged: false,
};

describe('the rule tester\u2019s stored payloads', () => {
  it('gives every 32-hex id a fresh value and leaves other text alone', () => {
    expect(freshIds('{"a":"0123456789abcdef0123456789abcdef","b":"abc"}', counter())).toBe('{"a":"00000000000000000000000000000000","b":"abc"}');
  });

  it('keeps the source and headers a dry run needs, drops the delivery id and redacted credentials', () => {
    const t = testable(stored, counter());
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(t.source).toBe('sentry');
    expect(t.headers).toEqual({ 'Content-Type': 'application/json', 'Sentry-Hook-Resource': 'event_alert' });
    expect(t.dropped).toEqual(['Request-ID', 'Authorization']);
    expect(t.body).not.toContain('0123456789abcdef0123456789abcdef');
    expect(JSON.parse(t.body)).toEqual({ data: { event: { event_id: '0'.repeat(32), title: 'x' } }, id: '0'.repeat(31) + '1' });
  });

  it('says why a purged or binary payload cannot be tested', () => {
    const purged = testable({ ...stored, purged: true, payload_text: null });
    expect(purged.ok).toBe(false);
    if (!purged.ok) expect(purged.reason).toMatch(/purged/);
    const binary = testable({ ...stored, payload_text: null });
    expect(binary.ok).toBe(false);
    expect(testable({ ...stored, source: 'monitor' }).ok).toBe(false);
  });
});
