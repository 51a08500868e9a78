import { describe, expect, it } from 'vitest';
import { breakerView } from '../../src/lib/breaker';

const now = Date.parse('2026-12-01T12:00:00Z');

describe('breaker in words', () => {
  it('closed: delivering, or counting failures', () => {
    expect(breakerView({ state: 'closed', failures: 0, opened_at: null, retry_at: null }, now)).toEqual({ label: 'closed', tone: 'ok', detail: 'delivering' });
    expect(breakerView({ state: 'closed', failures: 2, opened_at: null, retry_at: null }, now).detail).toBe('2 consecutive failures (opens at the limit)');
  });

  it('open: the failures and the time left before a retry', () => {
    const v = breakerView({ state: 'open', failures: 5, opened_at: '2026-12-01T11:59:30Z', retry_at: '2026-12-01T12:04:00Z' }, now);
    expect(v).toEqual({ label: 'open', tone: 'bad', detail: '5 consecutive failures · paused, retry in 4m' });
  });

  it('half-open: the next attempt probes', () => {
    const v = breakerView({ state: 'half_open', failures: 1, opened_at: '2026-12-01T11:00:00Z', retry_at: '2026-12-01T11:00:30Z' }, now);
    expect(v).toEqual({ label: 'half-open', tone: 'warn', detail: '1 consecutive failure · the next attempt is a probe' });
  });
});
