import { describe, expect, it } from 'vitest';
import { INBOX_KEYS, inboxActionFor, moveCursor } from '../../src/lib/keys';

describe('keyboard map', () => {
  it('maps the triage keys', () => {
    const map = Object.fromEntries(['j', 'k', 'a', 's', 'r', 'o', '/', '?', 'x', 'Enter', 'ArrowDown', 'ArrowUp', 'Escape'].map((k) => [k, inboxActionFor({ key: k })]));
    expect(map).toEqual({
      j: 'down', k: 'up', a: 'ack', s: 'snooze', r: 'resolve', o: 'open', '/': 'search', '?': 'help', x: 'select',
      Enter: 'open', ArrowDown: 'down', ArrowUp: 'up', Escape: 'escape',
    });
  });

  it('typing in a field is never a shortcut (but Escape leaves it)', () => {
    for (const tagName of ['INPUT', 'TEXTAREA', 'SELECT']) {
      expect(inboxActionFor({ key: 'a', target: { tagName } })).toBeNull();
      expect(inboxActionFor({ key: 'Escape', target: { tagName } })).toBe('escape');
    }
    expect(inboxActionFor({ key: 'j', target: { tagName: 'DIV', isContentEditable: true } })).toBeNull();
    // A focused checkbox (a row's selection) still takes shortcuts.
    expect(inboxActionFor({ key: 'a', target: { tagName: 'INPUT', type: 'checkbox' } })).toBe('ack');
  });

  it('modified keys are left to the browser', () => {
    expect(inboxActionFor({ key: 'r', ctrlKey: true })).toBeNull();
    expect(inboxActionFor({ key: 'a', metaKey: true })).toBeNull();
    expect(inboxActionFor({ key: 's', altKey: true })).toBeNull();
    expect(inboxActionFor({ key: 'q' })).toBeNull();
  });

  it('the help sheet lists every key once', () => {
    const keys = INBOX_KEYS.map((k) => k.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expect.arrayContaining(['j', 'k', 'a', 's', 'r', 'o', '/', '?']));
  });

  it('moves the cursor within bounds', () => {
    expect(moveCursor(-1, 'down', 3)).toBe(0);
    expect(moveCursor(0, 'down', 3)).toBe(1);
    expect(moveCursor(2, 'down', 3)).toBe(2);
    expect(moveCursor(0, 'up', 3)).toBe(0);
    expect(moveCursor(2, 'up', 3)).toBe(1);
    expect(moveCursor(5, 'down', 0)).toBe(-1);
  });
});
