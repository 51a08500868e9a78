import { describe, expect, it } from 'vitest';
import { who } from '../../src/lib/who';

describe('who created it', () => {
  it('reads the actor kinds', () => {
    expect(who('user:alice@example.com')).toMatchObject({ name: 'alice@example.com', kind: 'user' });
    expect(who('token:ci')).toMatchObject({ name: 'ci', kind: 'token', title: 'API token ci' });
    expect(who('cli')).toMatchObject({ name: 'CLI', kind: 'cli' });
    expect(who('slack:U123')).toMatchObject({ name: 'slack:U123', kind: 'other' });
  });

  it('says so when the creator was never recorded', () => {
    expect(who(null)).toMatchObject({ name: 'not recorded', kind: 'unknown' });
    expect(who(undefined).kind).toBe('unknown');
  });
});
