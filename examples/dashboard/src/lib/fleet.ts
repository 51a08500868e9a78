// The Fleet page's data shaping: an app's monitors (GET …/apps) turned into what its card shows —
// code and CI, images, workload, health probes, usage and cost against budget — plus the fleet's
// summary and ordering. Pure, given `now`.
import type { Schemas } from '../api/client';
import { DEFAULT_FILTERS, filtersToSearch } from './filters';
import { relative } from './time';

export type AppStatus = Schemas['AppStatus'];
export type MonitorState = Schemas['MonitorState'];
export type MonitorKind = Schemas['MonitorKind'];
export type StateName = Schemas['MonitorStateName'];
export type Reading = Schemas['Reading'];
export type HttpProbeDetails = Schemas['HttpProbeDetails'];
export type GitCiDetails = Schemas['GitCiDetails'];
export type RegistryDetails = Schemas['RegistryDetails'];
export type WorkloadDetails = Schemas['WorkloadDetails'];
export type CloudCostDetails = Schemas['CloudCostDetails'];
export type UsageDetails = Schemas['UsageDetails'];

/** Details by monitor kind. */
export interface DetailsByKind {
  http_probe: HttpProbeDetails;
  git_ci: GitCiDetails;
  registry_freshness: RegistryDetails;
  k8s_workloads: WorkloadDetails;
  cloud_cost: CloudCostDetails;
  usage_quota: UsageDetails;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'muted';

/** How bad a state is: the worst one leads. */
const RANK: Record<StateName, number> = { breach: 3, error: 2, pending: 1, ok: 0 };

export const KIND_LABEL: Record<MonitorKind, string> = {
  http_probe: 'Health probe',
  git_ci: 'Code and CI',
  registry_freshness: 'Image freshness',
  k8s_workloads: 'Workload',
  cloud_cost: 'Cloud cost',
  usage_quota: 'Usage quota',
};

export const STATE_LABEL: Record<StateName, string> = { ok: 'Healthy', breach: 'Breaching', error: 'Unreadable', pending: 'Not checked yet' };

export function stateTone(s: StateName): Tone {
  return s === 'ok' ? 'ok' : s === 'breach' ? 'bad' : s === 'error' ? 'warn' : 'muted';
}

/** Usage providers by their own spelling. */
const PROVIDER_NAME: Record<string, string> = {
  openai: 'OpenAI', openrouter: 'OpenRouter', stripe: 'Stripe', elevenlabs: 'ElevenLabs', sendgrid: 'SendGrid', twilio: 'Twilio',
  clerk: 'Clerk', turso: 'Turso', supabase: 'Supabase', hetzner: 'Hetzner',
};

/** A provider's name for people: its own spelling when known, else capitalized. */
export function providerName(p: string): string {
  return PROVIDER_NAME[p.toLowerCase()] ?? (p ? p.charAt(0).toUpperCase() + p.slice(1) : p);
}

/** The worst of some states (`pending` for none). */
export function worstState(states: StateName[]): StateName {
  let worst: StateName = states.length ? 'ok' : 'pending';
  for (const s of states) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

/** The monitor's latest details, typed by its kind (null when never read or without details). */
export function detailsOf<K extends MonitorKind>(m: MonitorState, kind: K): DetailsByKind[K] | null {
  if (m.kind !== kind || !m.reading || !m.reading.details || typeof m.reading.details !== 'object') return null;
  return m.reading.details as DetailsByKind[K];
}

/** 1536 -> "1.5 KB"; binary units, as registries report layer sizes. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A money amount: "€42.10", "$1,204" (whole units from 1000 up). */
export function formatMoney(n: number | null | undefined, currency: string | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const cur = (currency ?? '').toUpperCase();
  try {
    if (/^[A-Z]{3}$/.test(cur)) {
      return new Intl.NumberFormat('en', { style: 'currency', currency: cur, maximumFractionDigits: n >= 1000 ? 0 : 2 }).format(n);
    }
  } catch {
    /* an unknown currency code: plain number below */
  }
  return `${n >= 1000 ? Math.round(n).toLocaleString('en') : n.toFixed(2)}${cur ? ` ${cur}` : ''}`;
}

/** A quantity with its unit: 1200000 tokens -> "1.2M tokens". */
export function formatAmount(n: number | null | undefined, unit?: string | null): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  const s = abs >= 1e9 ? `${+(n / 1e9).toFixed(1)}B` : abs >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : abs >= 1e4 ? `${+(n / 1e3).toFixed(1)}k` : `${+n.toFixed(2)}`;
  return unit ? `${s} ${unit}` : s;
}

/** The p-th percentile (0..100) of some values, nearest rank; null for none. */
export function percentile(values: number[], p: number): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * v.length);
  return v[Math.max(0, rank - 1)] ?? null;
}

/** A used / limit meter: the ratio (uncapped) and its tone (warn from 80 %, bad from 100 %). */
export function meter(used: number | null | undefined, limit: number | null | undefined): { ratio: number | null; tone: Tone } {
  if (used === null || used === undefined || !Number.isFinite(used)) return { ratio: null, tone: 'muted' };
  if (limit === null || limit === undefined || !Number.isFinite(limit) || limit <= 0) return { ratio: null, tone: 'muted' };
  const ratio = used / limit;
  return { ratio, tone: ratio >= 1 ? 'bad' : ratio >= 0.8 ? 'warn' : 'ok' };
}

/** CI of the default branch in words: Gitea's `status` (queued, in_progress, completed…) and `conclusion`. */
export function ciView(ci: GitCiDetails['ci'] | undefined): { label: string; tone: Tone } {
  if (!ci) return { label: 'No runs', tone: 'muted' };
  const status = (ci.status ?? '').toLowerCase();
  const conclusion = (ci.conclusion ?? '').toLowerCase();
  const done = status === 'completed' || status === 'success' || status === 'failure' || (!!conclusion && status !== 'in_progress' && status !== 'running');
  if (!done) {
    if (['queued', 'waiting', 'pending', 'blocked'].includes(status)) return { label: 'Queued', tone: 'muted' };
    if (['in_progress', 'running'].includes(status)) return { label: 'Running', tone: 'warn' };
  }
  const outcome = conclusion || status;
  if (outcome === 'success') return { label: 'Passing', tone: 'ok' };
  if (['failure', 'failed', 'error'].includes(outcome)) return { label: 'Failing', tone: 'bad' };
  if (['cancelled', 'canceled'].includes(outcome)) return { label: 'Cancelled', tone: 'muted' };
  if (outcome === 'skipped') return { label: 'Skipped', tone: 'muted' };
  return { label: outcome ? outcome[0]!.toUpperCase() + outcome.slice(1) : 'Unknown', tone: 'muted' };
}

/** A point of a sparkline: time, the value (null for a failed check without one), ok. */
export interface SparkPoint {
  t: number;
  v: number | null;
  ok: boolean;
}

/** A monitor's history as sparkline points, oldest first (bad times dropped). */
export function sparkPoints(history: Schemas['HistoryPoint'][]): SparkPoint[] {
  const out: SparkPoint[] = [];
  for (const h of history) {
    const t = Date.parse(h.at);
    if (Number.isNaN(t)) continue;
    out.push({ t, v: typeof h.value === 'number' && Number.isFinite(h.value) ? h.value : null, ok: h.ok });
  }
  return out.sort((a, b) => a.t - b.t);
}

/** What one health probe shows. */
export interface ProbeView {
  id: string;
  url: string;
  label: string;
  state: StateName;
  statusCode: number | null;
  latencyMs: number | null;
  p95Ms: number | null;
  uptime: number | null;
  points: SparkPoint[];
  error: string | null;
}

/** A meter of usage or cost against its budget. */
export interface MeterView {
  id: string;
  label: string;
  used: string;
  limit: string | null;
  ratio: number | null;
  tone: Tone;
  note: string | null;
}

/** Everything an app's card shows; a part is null when no monitor or description supplies it. */
export interface AppView {
  name: string;
  state: StateName;
  tone: Tone;
  openAlerts: number;
  /** The inbox's query for this app's alerts (`project=<name>`, unresolved). */
  inboxSearch: string;
  links: { name: string; url: string }[];
  lastCheckedAt: string | null;
  code: {
    monitorId: string | null;
    repository: string;
    url: string | null;
    branch: string | null;
    commit: { sha: string; short: string; message: string; author: string | null; at: string | null; url: string | null } | null;
    ci: { label: string; tone: Tone; name: string | null; url: string | null; at: string | null } | null;
    state: StateName;
  } | null;
  images: {
    monitorId: string | null;
    repository: string;
    tags: { tag: string; size: string; age: string; pushedAt: string | null; digest: string | null }[];
    lastPush: string | null;
    lastPushAt: string | null;
    state: StateName;
  } | null;
  workload: {
    monitorId: string | null;
    name: string;
    ready: number | null;
    desired: number | null;
    restarts: number | null;
    podsNotReady: string[];
    nodes: { ready: number; total: number } | null;
    tone: Tone;
    state: StateName;
  } | null;
  probes: ProbeView[];
  /** Health URLs of the app's description that no probe checks. */
  unprobed: string[];
  meters: MeterView[];
  monitors: MonitorState[];
}

function firstOf(app: AppStatus, kind: MonitorKind): MonitorState | null {
  return app.monitors.find((m) => m.kind === kind) ?? null;
}

function urlLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return url;
  }
}

function firstLine(s: string | null | undefined): string {
  return (s ?? '').split('\n')[0]!.trim();
}

/** The card of one app. */
export function appView(app: AppStatus, now: number = Date.now()): AppView {
  const links = Object.entries(app.links ?? {}).filter(([, url]) => typeof url === 'string' && url).map(([name, url]) => ({ name, url }));
  const readAt = app.monitors.map((m) => m.reading?.at).filter((x): x is string => !!x).sort();

  // code and CI: the git_ci monitor's reading, else the app's repository description
  let code: AppView['code'] = null;
  const git = firstOf(app, 'git_ci');
  const gd = git ? detailsOf(git, 'git_ci') : null;
  const repo = app.repository ?? null;
  if (git || repo) {
    const base = repo ? `${repo.base_url.replace(/\/+$/, '')}/${repo.owner}/${repo.repo}` : null;
    const c = gd?.commit ?? null;
    code = {
      monitorId: git?.id ?? null,
      repository: gd?.repository ?? (repo ? `${repo.owner}/${repo.repo}` : git?.id ?? ''),
      url: gd?.html_url ?? base,
      branch: gd?.branch ?? repo?.branch ?? null,
      commit: c && c.sha ? { sha: c.sha, short: c.sha.slice(0, 7), message: firstLine(c.message), author: c.author ?? null, at: c.at ?? null, url: c.url ?? null } : null,
      ci: gd ? (gd.ci ? { ...ciView(gd.ci), name: gd.ci.name ?? null, url: gd.ci.url ?? null, at: gd.ci.at ?? null } : { ...ciView(null), name: null, url: null, at: null }) : null,
      state: git?.state ?? 'pending',
    };
  }

  // images: the registry monitor's tags, newest push first
  let images: AppView['images'] = null;
  const reg = firstOf(app, 'registry_freshness');
  const rd = reg ? detailsOf(reg, 'registry_freshness') : null;
  if (reg || app.image) {
    const tags = [...(rd?.tags ?? [])]
      .sort((a, b) => (Date.parse(b.pushed_at ?? '') || 0) - (Date.parse(a.pushed_at ?? '') || 0))
      .slice(0, 3)
      .map((t) => ({ tag: t.tag, size: formatBytes(t.size_bytes), age: t.pushed_at ? relative(t.pushed_at, now) : '—', pushedAt: t.pushed_at ?? null, digest: t.digest ?? null }));
    const last = rd?.last_push_at ?? tags[0]?.pushedAt ?? null;
    images = {
      monitorId: reg?.id ?? null,
      repository: rd?.repository ?? app.image?.repository ?? reg?.id ?? '',
      tags,
      lastPush: last ? relative(last, now) : null,
      lastPushAt: last,
      state: reg?.state ?? 'pending',
    };
  }

  // workload: ready / desired, restarts in the window, pods not ready
  let workload: AppView['workload'] = null;
  const k8s = firstOf(app, 'k8s_workloads');
  const kd = k8s ? detailsOf(k8s, 'k8s_workloads') : null;
  if (k8s || app.workload) {
    const ready = kd?.ready ?? null;
    const desired = kd?.desired ?? null;
    const restarts = kd?.restarts_window ?? null;
    const short = ready !== null && desired !== null && ready < desired;
    const tone: Tone = ready === null ? 'muted' : short ? (ready === 0 ? 'bad' : 'warn') : (restarts ?? 0) > 3 ? 'warn' : 'ok';
    const ns = kd?.namespace ?? app.workload?.namespace;
    const dep = kd?.deployment ?? app.workload?.deployment;
    workload = {
      monitorId: k8s?.id ?? null,
      name: ns && dep ? `${ns}/${dep}` : dep ?? k8s?.id ?? '',
      ready,
      desired,
      restarts,
      podsNotReady: kd?.pods_not_ready ?? [],
      nodes: kd?.nodes ? { ready: kd.nodes.ready, total: kd.nodes.total } : null,
      tone: k8s?.state === 'breach' ? 'bad' : tone,
      state: k8s?.state ?? 'pending',
    };
  }

  // health probes with their latency history
  const probes: ProbeView[] = app.monitors.filter((m) => m.kind === 'http_probe').map((m) => {
    const d = detailsOf(m, 'http_probe');
    const cfgUrl = d?.url ?? '';
    const points = sparkPoints(m.history);
    const lat = points.map((p) => p.v).filter((v): v is number => v !== null);
    return {
      id: m.id,
      url: cfgUrl,
      label: cfgUrl ? urlLabel(cfgUrl) : m.id,
      state: m.state,
      statusCode: d?.status_code ?? null,
      latencyMs: d?.latency_ms ?? m.reading?.value ?? null,
      p95Ms: percentile(lat, 95),
      uptime: points.length ? points.filter((p) => p.ok).length / points.length : null,
      points,
      error: m.reading?.error ?? null,
    };
  });
  const probed = new Set(probes.map((p) => p.url));
  const unprobed = (app.health_urls ?? []).filter((u) => !probed.has(u));

  // usage and cost against budget
  const meters: MeterView[] = [];
  for (const m of app.monitors) {
    if (m.kind === 'cloud_cost') {
      const d = detailsOf(m, 'cloud_cost');
      const { ratio, tone } = meter(d?.monthly_cost, d?.budget);
      const servers = d?.servers ?? [];
      meters.push({
        id: m.id,
        label: 'Cloud, this month',
        used: formatMoney(d?.monthly_cost, d?.currency),
        limit: d?.budget !== null && d?.budget !== undefined ? formatMoney(d.budget, d.currency) : null,
        ratio,
        tone: m.state === 'breach' ? 'bad' : tone,
        note: servers.length ? `${servers.length} server${servers.length === 1 ? '' : 's'}${servers.some((s) => s.status && s.status !== 'running') ? ` · ${servers.filter((s) => s.status && s.status !== 'running').length} not running` : ''}` : m.reading?.error ?? null,
      });
    } else if (m.kind === 'usage_quota') {
      const d = detailsOf(m, 'usage_quota');
      const { ratio, tone } = meter(d?.used, d?.limit);
      const provider = d?.provider ?? m.id;
      // a quota counted in money (OpenAI's costs, OpenRouter's credits) reads as money
      const money = !!d?.unit && /^[A-Za-z]{3}$/.test(d.unit);
      const amount = (n: number | null | undefined) => (money ? formatMoney(n, d?.unit) : formatAmount(n, d?.unit));
      meters.push({
        id: m.id,
        label: providerName(provider),
        used: amount(d?.used),
        limit: d?.limit !== null && d?.limit !== undefined ? amount(d.limit) : null,
        ratio,
        tone: m.state === 'breach' ? 'bad' : tone,
        note: !money && d?.cost !== null && d?.cost !== undefined ? `${formatMoney(d.cost, d.currency)} spent` : m.reading?.error ?? null,
      });
    }
  }

  return {
    name: app.name,
    state: app.state,
    tone: stateTone(app.state),
    openAlerts: app.open_alerts,
    inboxSearch: inboxSearchFor(app.name),
    links,
    lastCheckedAt: readAt[readAt.length - 1] ?? null,
    code,
    images,
    workload,
    probes,
    unprobed,
    meters,
    monitors: app.monitors,
  };
}

/** The inbox query of an app's unresolved alerts (what `open_alerts` counts: open, acknowledged, snoozed). */
export function inboxSearchFor(app: string): string {
  return filtersToSearch({ ...DEFAULT_FILTERS, project: app, status: ['open', 'acknowledged', 'snoozed'] });
}

/** Worst first, then the most open alerts, then by name. */
export function sortApps<T extends { name: string; state: StateName; openAlerts: number }>(apps: T[]): T[] {
  return [...apps].sort((a, b) => RANK[b.state] - RANK[a.state] || b.openAlerts - a.openAlerts || a.name.localeCompare(b.name));
}

/** The fleet at a glance. */
export interface FleetSummary {
  apps: number;
  healthy: number;
  breaching: number;
  unreadable: number;
  pending: number;
  monitors: number;
  openAlerts: number;
}

export function fleetSummary(apps: AppStatus[]): FleetSummary {
  const by = (s: StateName) => apps.filter((a) => a.state === s).length;
  return {
    apps: apps.length,
    healthy: by('ok'),
    breaching: by('breach'),
    unreadable: by('error'),
    pending: by('pending'),
    monitors: apps.reduce((n, a) => n + a.monitors.length, 0),
    openAlerts: apps.reduce((n, a) => n + a.open_alerts, 0),
  };
}

/** Whether an app matches the page's filter: `attention` keeps the ones not healthy or with alerts; `q` its name or a monitor id. */
export function matchesApp(app: AppStatus, show: 'all' | 'attention', q: string): boolean {
  if (show === 'attention' && app.state === 'ok' && app.open_alerts === 0) return false;
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  return app.name.toLowerCase().includes(needle) || app.monitors.some((m) => m.id.toLowerCase().includes(needle));
}

/** A monitor's history for its detail chart and table: newest first for the table. */
export function historyRows(m: MonitorState): { at: string; ok: boolean; value: number | null }[] {
  return [...m.history].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).map((h) => ({ at: h.at, ok: h.ok, value: h.value }));
}

/** The unit of a monitor's values (the latest reading's, else what the kind measures). */
export function valueUnit(m: MonitorState): string {
  if (m.reading?.unit) return m.reading.unit;
  return m.kind === 'http_probe' ? 'ms' : '';
}
