// Actors as people read them: `user:alice@example.com` → alice@example.com, `token:ci` → the API
// token "ci", `cli` → the command line; null → not recorded (made before creators were kept).

export interface Who { name: string; kind: 'user' | 'token' | 'cli' | 'system' | 'source' | 'other' | 'unknown'; title: string }

export function who(actor: string | null | undefined): Who {
  if (actor === null || actor === undefined || actor === '') {
    return { name: 'not recorded', kind: 'unknown', title: 'Created before SignalCraft recorded who creates silences' };
  }
  const i = actor.indexOf(':');
  const [prefix, rest] = i < 0 ? ['', actor] : [actor.slice(0, i), actor.slice(i + 1)];
  switch (prefix) {
    case 'user': return { name: rest, kind: 'user', title: actor };
    case 'token': return { name: rest, kind: 'token', title: `API token ${rest}` };
    case 'system': return { name: rest, kind: 'system', title: actor };
    case 'source': return { name: rest, kind: 'source', title: `from ${rest}` };
    default: return actor === 'cli' ? { name: 'CLI', kind: 'cli', title: 'the signalcraft command line' } : { name: actor, kind: 'other', title: actor };
  }
}
