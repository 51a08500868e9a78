import { describe, expect, it } from 'vitest';
import type { AlertGroup } from '../../src/api/client';
import { describe as word, matches } from '../../src/lib/conditions';
import { duration, relative, snoozeUntil } from '../../src/lib/time';

const g = {
  id: 'g1', group_key: 'k', source: 'grafana', project: 'api', environment: 'production', severity: 'warning', status: 'open',
  title: 'High latency on checkout', message: null, fingerprint: 'fp1', link: null, tags: { team: 'payments' }, assignee: null,
  count: 3, reopen_count: 0, first_seen: '', last_seen: '', last_activity: '', resolved_at: null, snoozed_until: null, acknowledged_at: null, runbook: null,
} satisfies AlertGroup;

describe('conditions (silence previews)', () => {
  it('evaluates leaves, all, any, not', () => {
    expect(matches({}, g)).toBe(true);
    expect(matches({ field: 'source', op: 'eq', value: 'grafana' }, g)).toBe(true);
    expect(matches({ field: 'severity', op: 'gte', value: 'error' }, g)).toBe(false);
    expect(matches({ field: 'severity', op: 'gte', value: 'warning' }, g)).toBe(true);
    expect(matches({ all: [{ field: 'project', op: 'in', value: ['api', 'web'] }, { field: 'tags.team', op: 'eq', value: 'payments' }] }, g)).toBe(true);
    expect(matches({ any: [{ field: 'environment', op: 'eq', value: 'staging' }, { field: 'title', op: 'contains', value: 'latency' }] }, g)).toBe(true);
    expect(matches({ not: { field: 'title', op: 'glob', value: 'High*' } }, g)).toBe(false);
    expect(matches({ field: 'title', op: 'regex', value: 'High .* checkout' }, g)).toBe(true);
    expect(matches({ field: 'message', op: 'exists', value: false }, g)).toBe(true);
    expect(matches({ field: 'environment', op: 'ne', value: 'production' }, g)).toBe(false);
  });

  it('describes conditions in one line', () => {
    expect(word({})).toBe('everything');
    expect(word({ all: [{ field: 'severity', op: 'gte', value: 'error' }, { field: 'source', op: 'in', value: ['a', 'b'] }] })).toBe('severity ≥ error and source is one of a, b');
    expect(word({ not: { field: 'project', op: 'eq', value: 'x' } })).toBe('not (project is x)');
  });
});

describe('times', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('relative', () => {
    expect(relative('2026-12-01T11:59:50Z', now)).toBe('just now');
    expect(relative('2026-12-01T11:55:00Z', now)).toBe('5m ago');
    expect(relative('2026-12-01T09:00:00Z', now)).toBe('3h ago');
    expect(relative('2026-11-29T12:00:00Z', now)).toBe('2d ago');
    expect(relative('2026-12-01T13:00:00Z', now)).toBe('in 1h');
    expect(relative(null, now)).toBe('—');
  });
  it('durations', () => {
    expect(duration(42)).toBe('42s');
    expect(duration(420)).toBe('7m');
    expect(duration(3600 + 300)).toBe('1h 5m');
    expect(duration(2 * 86400 + 4 * 3600)).toBe('2d 4h');
    expect(duration(null)).toBe('—');
  });
  it('snooze presets', () => {
    const at = new Date('2026-12-01T15:30:00');
    expect(snoozeUntil('1h', at)).toBe(new Date('2026-12-01T16:30:00').toISOString());
    expect(snoozeUntil('4h', at)).toBe(new Date('2026-12-01T19:30:00').toISOString());
    expect(snoozeUntil('tomorrow', at)).toBe(new Date('2026-12-02T09:00:00').toISOString());
  });
});
