// The inbox's keyboard map. Pure: a key event in, an action out.

export type InboxAction =
  | 'down'
  | 'up'
  | 'ack'
  | 'snooze'
  | 'resolve'
  | 'open'
  | 'search'
  | 'help'
  | 'select'
  | 'escape';

/** The keys and what they do (also the `?` sheet). */
export const INBOX_KEYS: { key: string; action: InboxAction; label: string }[] = [
  { key: 'j', action: 'down', label: 'Next group' },
  { key: 'k', action: 'up', label: 'Previous group' },
  { key: 'x', action: 'select', label: 'Select / unselect' },
  { key: 'a', action: 'ack', label: 'Acknowledge' },
  { key: 's', action: 'snooze', label: 'Snooze 1 hour' },
  { key: 'r', action: 'resolve', label: 'Resolve' },
  { key: 'o', action: 'open', label: 'Open (also Enter)' },
  { key: '/', action: 'search', label: 'Search' },
  { key: '?', action: 'help', label: 'Show these keys' },
  { key: 'Escape', action: 'escape', label: 'Clear selection / close' },
];

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** The element the key went to: typing in a field is never a shortcut. */
  target?: { tagName?: string; isContentEditable?: boolean; type?: string } | null;
}

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

/** The inbox action a key press means, or null. */
export function inboxActionFor(e: KeyLike): InboxAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const t = e.target;
  const inField = !!t && (TYPING.has(String(t.tagName ?? '').toUpperCase()) && t.type !== 'checkbox' || !!t.isContentEditable);
  if (inField) return e.key === 'Escape' ? 'escape' : null;
  if (e.key === 'ArrowDown') return 'down';
  if (e.key === 'ArrowUp') return 'up';
  if (e.key === 'Enter') return 'open';
  const hit = INBOX_KEYS.find((k) => k.key === e.key);
  return hit ? hit.action : null;
}

/** The next cursor position after `action` in a list of `n` rows (clamped; -1 = none). */
export function moveCursor(cursor: number, action: 'down' | 'up', n: number): number {
  if (n === 0) return -1;
  if (cursor < 0) return 0;
  return action === 'down' ? Math.min(n - 1, cursor + 1) : Math.max(0, cursor - 1);
}
