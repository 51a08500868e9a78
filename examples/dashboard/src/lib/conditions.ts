// The rule condition language (`{field, op, value}`, `all`, `any`, `not`) as the form builder
// edits it, and a client-side evaluator used for previews (silence matches). Pure.
import type { AlertGroup } from '../api/client';

export const FIELDS = ['severity', 'source', 'project', 'environment', 'status', 'title', 'fingerprint'] as const;
export const OPS = ['eq', 'ne', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'regex', 'glob', 'exists', 'gt', 'gte', 'lt', 'lte'] as const;
export const OP_LABEL: Record<string, string> = {
  eq: 'is', ne: 'is not', in: 'is one of', not_in: 'is none of', contains: 'contains', starts_with: 'starts with',
  ends_with: 'ends with', regex: 'matches regex', glob: 'matches glob', exists: 'exists', gt: '>', gte: '≥', lt: '<', lte: '≤',
};

export type Leaf = { field: string; op: string; value?: unknown };
export type Cond = Leaf | { all: Cond[] } | { any: Cond[] } | { not: Cond } | Record<string, never>;

export const isLeaf = (c: unknown): c is Leaf => !!c && typeof c === 'object' && 'field' in (c as object);

const RANK: Record<string, number> = { debug: 0, info: 1, warning: 2, error: 3, critical: 4 };

function fieldOf(g: AlertGroup, field: string): string | null {
  if (field.startsWith('tags.')) return g.tags[field.slice(5)] ?? null;
  const v = (g as unknown as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : null;
}

function globToRegex(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

/** Whether a group matches a condition (as the engine would for its alert; for previews). */
export function matches(c: unknown, g: AlertGroup): boolean {
  if (!c || typeof c !== 'object') return true;
  const o = c as Record<string, unknown>;
  if (Array.isArray(o.all)) return o.all.every((x) => matches(x, g));
  if (Array.isArray(o.any)) return o.any.some((x) => matches(x, g));
  if (o.not !== undefined) return !matches(o.not, g);
  if (!isLeaf(c)) return true;
  const v = fieldOf(g, c.field);
  const want = c.value;
  const list = Array.isArray(want) ? want.map(String) : [String(want)];
  switch (c.op) {
    case 'eq': return v === String(want);
    case 'ne': return v !== String(want);
    case 'in': return v !== null && list.includes(v);
    case 'not_in': return v === null || !list.includes(v);
    case 'contains': return v !== null && v.includes(String(want));
    case 'starts_with': return v !== null && v.startsWith(String(want));
    case 'ends_with': return v !== null && v.endsWith(String(want));
    case 'regex': try { return v !== null && new RegExp(`^(?:${String(want)})$`).test(v); } catch { return false; }
    case 'glob': return v !== null && globToRegex(String(want)).test(v);
    case 'exists': return (want === false) === (v === null);
    case 'gt': case 'gte': case 'lt': case 'lte': {
      if (v === null) return false;
      const a = c.field === 'severity' ? RANK[v] ?? -1 : Number(v);
      const b = c.field === 'severity' ? RANK[String(want)] ?? -1 : Number(want);
      return c.op === 'gt' ? a > b : c.op === 'gte' ? a >= b : c.op === 'lt' ? a < b : a <= b;
    }
    default: return false;
  }
}

/** A condition in one line ("severity ≥ error and source is sentry"). */
export function describe(c: unknown): string {
  if (!c || typeof c !== 'object' || Object.keys(c).length === 0) return 'everything';
  const o = c as Record<string, unknown>;
  if (Array.isArray(o.all)) return o.all.map(describe).join(' and ') || 'everything';
  if (Array.isArray(o.any)) return `(${o.any.map(describe).join(' or ')})`;
  if (o.not !== undefined) return `not (${describe(o.not)})`;
  if (isLeaf(c)) {
    const v = Array.isArray(c.value) ? c.value.join(', ') : c.value === undefined ? '' : String(c.value);
    return `${c.field} ${OP_LABEL[c.op] ?? c.op} ${v}`.trim();
  }
  return JSON.stringify(c);
}
