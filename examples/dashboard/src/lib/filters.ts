// The inbox's view (filters, sort, order) and its URL form, so a view is a link. Pure.

export const STATUSES = ['open', 'acknowledged', 'snoozed', 'resolved'] as const;
export const SEVERITIES = ['critical', 'error', 'warning', 'info', 'debug'] as const;
export const SOURCES = ['sentry', 'alertmanager', 'grafana', 'datadog', 'pagerduty', 'opsgenie', 'generic', 'monitor'] as const;
/** Every sort the groups query has (each inbox column is one of them). */
export const SERVER_SORTS = ['last_seen', 'first_seen', 'severity', 'count', 'status', 'title', 'source', 'project', 'environment', 'assignee'] as const;
/** Sorts whose key is text: a first click sorts A → Z; the others start largest first. */
const TEXT_SORTS: readonly ServerSort[] = ['title', 'source', 'project', 'environment', 'assignee'];

/** The view after clicking a column header sorted by `sort`: the same column flips the order,
 *  another starts in its natural direction. The server sorts; the loaded rows never are. */
export function clickSort(f: Pick<InboxFilters, 'sort' | 'order'>, sort: ServerSort): Pick<InboxFilters, 'sort' | 'order'> {
  if (f.sort === sort) return { sort, order: f.order === 'desc' ? 'asc' : 'desc' };
  return { sort, order: TEXT_SORTS.includes(sort) ? 'asc' : 'desc' };
}

export type Status = (typeof STATUSES)[number];
export type Severity = (typeof SEVERITIES)[number];
export type Source = (typeof SOURCES)[number];
export type ServerSort = (typeof SERVER_SORTS)[number];

/** What the inbox shows. Empty lists and empty strings mean "any". */
export interface InboxFilters {
  status: Status[];
  severity: Severity[];
  source: Source | '';
  environment: string;
  project: string;
  /** An assignee's name, `none` for unassigned, or empty for anyone. */
  assignee: string;
  q: string;
  /** RFC 3339 or empty. */
  since: string;
  until: string;
  sort: ServerSort;
  order: 'desc' | 'asc';
}

/** The inbox's default view: what needs attention, newest first. */
export const DEFAULT_FILTERS: InboxFilters = {
  status: ['open', 'acknowledged'],
  severity: [],
  source: '',
  environment: '',
  project: '',
  assignee: '',
  q: '',
  since: '',
  until: '',
  sort: 'last_seen',
  order: 'desc',
};

function listOf<T extends string>(raw: string | null, allowed: readonly T[]): T[] {
  if (raw === null) return [];
  const out: T[] = [];
  for (const part of raw.split(',')) {
    const v = part.trim() as T;
    if (allowed.includes(v) && !out.includes(v)) out.push(v);
  }
  // Keep a stable order so equal views have equal URLs.
  return allowed.filter((a) => out.includes(a));
}

/** The view a URL's query names; unknown values are dropped, missing ones take the defaults. */
export function filtersFromSearch(search: string | URLSearchParams): InboxFilters {
  const p = typeof search === 'string' ? new URLSearchParams(search) : search;
  const statusRaw = p.get('status');
  const sort = p.get('sort') as ServerSort | null;
  const order = p.get('order');
  return {
    // `status=` (present and empty) means any status; absent means the default.
    status: statusRaw === null ? [...DEFAULT_FILTERS.status] : listOf(statusRaw, STATUSES),
    severity: listOf(p.get('severity'), SEVERITIES),
    source: (SOURCES as readonly string[]).includes(p.get('source') ?? '') ? (p.get('source') as Source) : '',
    environment: p.get('environment') ?? '',
    project: p.get('project') ?? '',
    assignee: p.get('assignee') ?? '',
    q: p.get('q') ?? '',
    since: p.get('since') ?? '',
    until: p.get('until') ?? '',
    sort: sort !== null && SERVER_SORTS.includes(sort) ? sort : DEFAULT_FILTERS.sort,
    order: order === 'asc' ? 'asc' : 'desc',
  };
}

/** The URL query of a view: only what differs from the defaults, in a fixed order. */
export function filtersToSearch(f: InboxFilters): string {
  const p = new URLSearchParams();
  const sameStatus =
    f.status.length === DEFAULT_FILTERS.status.length && f.status.every((s) => DEFAULT_FILTERS.status.includes(s));
  if (!sameStatus) p.set('status', STATUSES.filter((s) => f.status.includes(s)).join(','));
  if (f.severity.length) p.set('severity', SEVERITIES.filter((s) => f.severity.includes(s)).join(','));
  if (f.source) p.set('source', f.source);
  if (f.environment) p.set('environment', f.environment);
  if (f.project) p.set('project', f.project);
  if (f.assignee) p.set('assignee', f.assignee);
  if (f.q) p.set('q', f.q);
  if (f.since) p.set('since', f.since);
  if (f.until) p.set('until', f.until);
  if (f.sort !== DEFAULT_FILTERS.sort) p.set('sort', f.sort);
  if (f.order !== DEFAULT_FILTERS.order) p.set('order', f.order);
  return p.toString();
}

/** The API query (`GET …/groups`) of a view. */
export function filtersToQuery(f: InboxFilters): Record<string, string> {
  const q: Record<string, string> = { sort: f.sort, order: f.order };
  if (f.status.length) q.status = f.status.join(',');
  if (f.severity.length) q.severity = f.severity.join(',');
  if (f.source) q.source = f.source;
  if (f.environment) q.environment = f.environment;
  if (f.project) q.project = f.project;
  if (f.assignee) q.assignee = f.assignee;
  if (f.q) q.q = f.q;
  if (f.since) q.since = f.since;
  if (f.until) q.until = f.until;
  return q;
}

/** How many filters differ from the default view (for the "n filters" chip). */
export function activeFilterCount(f: InboxFilters): number {
  let n = 0;
  if (filtersToSearch({ ...f, sort: DEFAULT_FILTERS.sort, order: DEFAULT_FILTERS.order }) === '') return 0;
  const d = DEFAULT_FILTERS;
  if (filtersToSearch({ ...d, status: f.status }) !== '') n++;
  for (const k of ['source', 'environment', 'project', 'assignee', 'q', 'since', 'until'] as const) if (f[k]) n++;
  if (f.severity.length) n++;
  return n;
}

/** A relative date range ("last 1h") as an RFC 3339 `since`, from `now`. */
export function sinceFor(range: '1h' | '24h' | '7d', now: Date): string {
  const ms = { '1h': 3600_000, '24h': 86400_000, '7d': 7 * 86400_000 }[range];
  return new Date(now.getTime() - ms).toISOString();
}

/** The fields of a group a view filters on. */
export interface FilterableGroup {
  status: string;
  severity: string;
  source: string;
  environment: string | null;
  project: string | null;
  assignee: string | null;
  title: string;
  message: string | null;
  last_seen: string;
}

/** Whether a group belongs in a view (as the server would answer; for announcing live changes). */
export function matchesFilters(g: FilterableGroup, f: InboxFilters): boolean {
  if (f.status.length && !f.status.includes(g.status as Status)) return false;
  if (f.severity.length && !f.severity.includes(g.severity as Severity)) return false;
  if (f.source && g.source !== f.source) return false;
  if (f.environment && g.environment !== f.environment) return false;
  if (f.project && g.project !== f.project) return false;
  if (f.assignee === 'none' ? g.assignee !== null : f.assignee && g.assignee !== f.assignee) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    if (!g.title.toLowerCase().includes(q) && !(g.message ?? '').toLowerCase().includes(q)) return false;
  }
  if (f.since && g.last_seen < f.since) return false;
  if (f.until && g.last_seen >= f.until) return false;
  return true;
}
