import { describe, expect, it } from 'vitest';
import { channelNotified, pagedSummary, wordReason, wordTrace } from '../../src/lib/trace';

// A trace as the engine words it for a stored event (`GET …/groups/{id}`).
const stored = {
  dedup: { decision: 'new_group', policy: { window: 'rolling', window_secs: 3600 }, reason: 'first event with this key' },
  escalation: null,
  group_key: { source: 'sentry', project: 'front-end', environment: null, fingerprint: 'issue:1', key: 'abc' },
  notes: [],
  routing: {
    channels: { hook: 'group opened' },
    maintenance: [],
    rules: [
      { rule: 'errors', result: 'matched' },
      { rule: 'staging', result: 'no_match', reason: 'when.all[0]: environment is missing, not eq "staging"' },
      { rule: 'old', result: 'disabled' },
      { rule: 'rest', result: 'not_evaluated', reason: 'rule "errors" matched without continue' },
    ],
    silences: [],
  },
  source: 'sentry',
};

describe('trace wording', () => {
  it('words every step in decision order', () => {
    const lines = wordTrace(stored);
    expect(lines.map((l) => l.text)).toEqual([
      'Grouped by source sentry, project front-end, environment —, fingerprint issue:1',
      'Opened a new group',
      'Rule “errors” matched',
      'Rule “staging” did not match',
      'Rule “old” is disabled, skipped',
      'Rule “rest” was not evaluated',
      'Notified hook',
    ]);
    expect(lines[3]!.detail).toBe('because all[0]: environment is missing, not eq "staging"');
    expect(lines[1]!.detail).toBe('first event with this key');
    expect(pagedSummary(lines)).toBe('Notified hook.');
  });

  it('says why a channel was not notified', () => {
    const t = { ...stored, routing: { ...stored.routing, channels: { hook: 'already notified; the rule sets no repeat interval' } } };
    const lines = wordTrace(t, null, []);
    expect(lines.at(-1)).toMatchObject({ text: 'Did not notify hook', tone: 'warn' });
    expect(pagedSummary(lines)).toBe('Not notified: already notified; the rule sets no repeat interval.');
  });

  it('names silences and maintenance windows that muted an alert', () => {
    const t = { ...stored, routing: { ...stored.routing, silences: ['sil_1'], channels: { hook: 'suppressed by silence:sil_1' } } };
    const lines = wordTrace(t);
    expect(lines.some((l) => l.text === 'Muted by silence sil_1')).toBe(true);
    expect(pagedSummary(lines)).toBe('Not notified: muted by silence sil_1.');
  });

  it('the route decides over the wording when it is known', () => {
    expect(wordTrace(stored, null, []).at(-1)!.text).toBe('Did not notify hook');
    expect(wordTrace(stored, null, ['hook']).at(-1)!.text).toBe('Notified hook');
  });

  it('reads the engine reasons for channels', () => {
    expect(channelNotified('group opened')).toBe(true);
    expect(channelNotified('the channel has not been notified of this group')).toBe(true);
    expect(channelNotified('repeat: last notified 2026-12-01T00:00:00Z, every 60 min')).toBe(true);
    expect(channelNotified('already notified 2026-12-01T00:00:00Z; next repeat at 2026-12-01T01:00:00Z')).toBe(false);
    expect(channelNotified('suppressed by rule:mute')).toBe(false);
    expect(channelNotified('resolve: the channel never heard the group fire')).toBe(false);
    expect(channelNotified('no notification for this kind of event')).toBe(false);
  });

  it('a compact (ingest) trace names the matched rules; no rule at all is said', () => {
    const compact = { routing: { matched: ['r1'], channels: {}, silences: [], maintenance: [] } };
    expect(wordTrace(compact).map((l) => l.text)).toContain('Rule “r1” matched');
    const none = wordTrace({ routing: { rules: [], channels: {}, silences: [], maintenance: [] } });
    expect(none.map((l) => l.text)).toContain('No rule matched');
    expect(pagedSummary(none)).toBe('Not notified: no rule matched.');
  });

  it('a duplicate delivery says so', () => {
    const lines = wordTrace({ idempotency: 'event id "e1" was already ingested' });
    expect(lines[0]).toMatchObject({ text: 'Ignored: already received' });
    expect(pagedSummary(lines)).toBe('Not notified: a duplicate delivery.');
  });

  it('tidies condition paths in reasons', () => {
    expect(wordReason('when: severity is info, not gte "error"')).toBe('severity is info, not gte "error"');
    expect(wordReason('when.any[1]: x')).toBe('any[1]: x');
  });

  it('is total over junk', () => {
    expect(wordTrace(null)).toEqual([]);
    expect(wordTrace('x')).toEqual([]);
    expect(wordTrace({ routing: { rules: [{ result: 'weird' }] } })[0]!.text).toBe('Rule “?”: weird');
  });
});
