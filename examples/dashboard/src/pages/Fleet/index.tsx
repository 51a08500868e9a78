// Fleet: one card per app (GET …/apps) — repository and latest commit with CI of the default
// branch, latest image tags with size and age, workload health, health probes with latency
// sparklines, usage and cost against budget, its open alerts (a link to the inbox filtered by the
// app) — and a panel per monitor (`?monitor=<id>`, so it is a link) with its history and a
// "Check now". The shaping is in lib/fleet.ts (unit-tested); this file only draws it.
import { useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Area, Bar, BarChart, Cell, ComposedChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, call, errorText } from '../../api/client';
import { Layout } from '../../components/Layout';
import { useCan } from '../../components/session';
import { EmptyState, ErrorState, Loading, Modal, Rel, SeverityBadge, useToast } from '../../components/ui';
import {
  appView, fleetSummary, historyRows, KIND_LABEL, matchesApp, sortApps, sparkPoints, STATE_LABEL, stateTone, valueUnit,
  type AppStatus, type AppView, type MeterView, type MonitorState, type ProbeView, type SparkPoint, type StateName, type Tone,
} from '../../lib/fleet';
import { absolute, relative } from '../../lib/time';

export function Fleet() {
  const { ws = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const show = params.get('show') === 'attention' ? 'attention' : 'all';
  const q = params.get('q') ?? '';
  const monitorId = params.get('monitor');
  const apps = useQuery({
    queryKey: ['apps', ws],
    queryFn: () => call(api.GET('/api/workspaces/{ws}/apps', { params: { path: { ws } } })),
    refetchInterval: 15_000,
  });
  const set = (k: string, v: string | null) => {
    const p = new URLSearchParams(params);
    if (v === null || v === '') p.delete(k);
    else p.set(k, v);
    setParams(p, { replace: k === 'q' });
  };
  const list = apps.data?.apps ?? [];
  const monitor = monitorId ? list.flatMap((a) => a.monitors).find((m) => m.id === monitorId) ?? null : null;

  return (
    <Layout
      title="Fleet"
      actions={list.length > 0 && (
        <div className="row">
          <input type="search" className="hide-narrow" aria-label="Find an app or monitor" placeholder="Find an app or monitor" value={q} onChange={(e) => set('q', e.target.value)} style={{ width: 200 }} />
          <div className="row" role="group" aria-label="Show" style={{ gap: 4 }}>
            <button className={show === 'all' ? 'primary sm' : 'sm'} aria-pressed={show === 'all'} onClick={() => set('show', null)}>All</button>
            <button className={show === 'attention' ? 'primary sm' : 'sm'} aria-pressed={show === 'attention'} onClick={() => set('show', 'attention')}>Needs attention</button>
          </div>
        </div>
      )}
    >
      {apps.isPending ? <Loading rows={6} /> : apps.isError ? <ErrorState error={apps.error} retry={() => apps.refetch()} /> : list.length === 0 ? (
        <NoMonitors ws={ws} />
      ) : (
        <Body ws={ws} apps={list} show={show} q={q} open={(id) => set('monitor', id)} />
      )}
      <Modal title={monitor ? `Monitor ${monitor.id}` : 'Monitor'} open={!!monitorId && !!apps.data} onClose={() => set('monitor', null)}>
        {monitor ? <MonitorDetail ws={ws} m={monitor} /> : <EmptyState title="No such monitor">It may have been removed from the monitors document.</EmptyState>}
      </Modal>
    </Layout>
  );
}

function Body({ ws, apps, show, q, open }: { ws: string; apps: AppStatus[]; show: 'all' | 'attention'; q: string; open: (id: string) => void }) {
  const now = Date.now();
  const s = fleetSummary(apps);
  const views = useMemo(() => sortApps(apps.filter((a) => matchesApp(a, show, q)).map((a) => appView(a, now))), [apps, show, q, now]);
  return (
    <>
      <div className="kpis" data-testid="fleet-summary">
        <Kpi label="Apps" value={s.apps} sub={`${s.monitors} monitor${s.monitors === 1 ? '' : 's'}`} />
        <Kpi label="Healthy" value={s.healthy} tone={s.healthy === s.apps ? 'ok' : undefined} sub={s.pending ? `${s.pending} not checked yet` : undefined} />
        <Kpi label="Breaching" value={s.breaching} tone={s.breaching ? 'bad' : undefined} />
        <Kpi label="Unreadable" value={s.unreadable} tone={s.unreadable ? 'warn' : undefined} sub="target could not be read" />
        <Kpi label="Open alerts" value={s.openAlerts} tone={s.openAlerts ? 'bad' : undefined} sub={<Link to={`/w/${encodeURIComponent(ws)}/inbox?source=monitor&status=open%2Cacknowledged%2Csnoozed`}>the monitors' alerts →</Link>} />
      </div>
      {views.length === 0 ? (
        <EmptyState title={show === 'attention' ? 'Every app is healthy' : 'No app matches'}>{show === 'attention' ? 'Nothing is breaching and no app has open alerts.' : `Nothing named like “${q}”.`}</EmptyState>
      ) : (
        <div className="fleet-grid">
          {views.map((v) => <AppCard key={v.name} ws={ws} v={v} open={open} />)}
        </div>
      )}
    </>
  );
}

function Kpi({ label, value, sub, tone }: { label: string; value: number; sub?: React.ReactNode; tone?: Tone }) {
  return <div className="kpi"><div className="kpi-label">{label}</div><div className={`kpi-value ${tone ? `tone-${tone}` : ''}`}>{value.toLocaleString()}</div>{sub && <div className="kpi-sub">{sub}</div>}</div>;
}

function StateBadge({ state }: { state: StateName }) {
  return <span className={`badge mon-${state}`}><span className="dot" aria-hidden="true" />{STATE_LABEL[state]}</span>;
}

function Dot({ tone, label }: { tone: Tone; label?: string }) {
  if (!label) return <span className={`dot bg-${tone}`} aria-hidden="true" />;
  return <span className={`dot bg-${tone}`} role="img" aria-label={label} title={label} />;
}

function AppCard({ ws, v, open }: { ws: string; v: AppView; open: (id: string) => void }) {
  const inbox = `/w/${encodeURIComponent(ws)}/inbox${v.inboxSearch ? `?${v.inboxSearch}` : ''}`;
  const headingId = `app-${v.name.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const alertsText = v.openAlerts ? `${v.openAlerts} open alert${v.openAlerts === 1 ? '' : 's'}` : 'No open alerts';
  return (
    <article className={`card pad0 app-card edge-${v.tone}`} aria-labelledby={headingId} data-app={v.name}>
      <header className="app-head">
        <div className="app-title">
          <h2 id={headingId} className="app-name" title={v.name}>{v.name}</h2>
          <Link to={inbox} className={`alerts-pill ${v.openAlerts ? 'has' : ''}`} aria-label={`${alertsText}: ${v.name} in the inbox`}>
            {v.openAlerts ? <><strong>{v.openAlerts}</strong>{alertsText.slice(String(v.openAlerts).length)}</> : alertsText} →
          </Link>
        </div>
        <div className="row small muted" style={{ gap: 6 }}>
          <StateBadge state={v.state} />
          <span>{v.lastCheckedAt ? <>checked <Rel at={v.lastCheckedAt} /></> : 'not checked yet'}</span>
          {v.links.map((l) => <span key={l.name}>· <a href={l.url} target="_blank" rel="noreferrer">{l.name}</a></span>)}
        </div>
      </header>

      {v.code && (
        <Section title="Code" monitorId={v.code.monitorId} state={v.code.state} open={open}>
          <div className="row" style={{ gap: 6, flexWrap: 'nowrap', minWidth: 0 }}>
            {v.code.url ? <a href={v.code.url} target="_blank" rel="noreferrer" className="mono ellipsis">{v.code.repository}</a> : <span className="mono ellipsis">{v.code.repository}</span>}
            {v.code.branch && <span className="badge">{v.code.branch}</span>}
            <div className="spacer" />
            {v.code.ci && (v.code.ci.url
              ? <a className={`pill tone-${v.code.ci.tone}`} href={v.code.ci.url} target="_blank" rel="noreferrer" title={v.code.ci.name ?? undefined}><Dot tone={v.code.ci.tone} />CI {v.code.ci.label.toLowerCase()}</a>
              : <span className={`pill tone-${v.code.ci.tone}`} title={v.code.ci.name ?? undefined}><Dot tone={v.code.ci.tone} />CI {v.code.ci.label.toLowerCase()}</span>)}
          </div>
          {v.code.commit ? (
            <div className="commit">
              {v.code.commit.url ? <a className="mono" href={v.code.commit.url} target="_blank" rel="noreferrer">{v.code.commit.short}</a> : <span className="mono">{v.code.commit.short}</span>}
              <span className="ellipsis" title={v.code.commit.message}>{v.code.commit.message || <span className="muted">no message</span>}</span>
              <span className="muted small nowrap">{v.code.commit.author ? `${v.code.commit.author} · ` : ''}<Rel at={v.code.commit.at} /></span>
            </div>
          ) : <div className="muted small">No commit read yet.</div>}
        </Section>
      )}

      {v.images && (
        <Section title="Images" monitorId={v.images.monitorId} state={v.images.state} open={open} aside={v.images.lastPush ? <>last push {v.images.lastPush}</> : undefined}>
          <div className="mono small ellipsis muted">{v.images.repository}</div>
          {v.images.tags.length ? (
            <table className="mini">
              <thead><tr><th>Tag</th><th className="num">Size</th><th className="num">Pushed</th></tr></thead>
              <tbody>{v.images.tags.map((t) => (
                <tr key={t.tag}><td className="mono ellipsis" title={t.digest ?? undefined}>{t.tag}</td><td className="num">{t.size}</td><td className="num" title={absolute(t.pushedAt)}>{t.age}</td></tr>
              ))}</tbody>
            </table>
          ) : <div className="muted small">No tags read yet.</div>}
        </Section>
      )}

      {v.workload && (
        <Section title="Workload" monitorId={v.workload.monitorId} state={v.workload.state} open={open}>
          <div className="row" style={{ justifyContent: 'space-between', flexWrap: 'nowrap' }}>
            <span className="mono small ellipsis">{v.workload.name}</span>
            <span className={`nowrap tone-${v.workload.tone}`}><strong className="big-num">{v.workload.ready ?? '—'}</strong><span className="muted">/{v.workload.desired ?? '—'} ready</span></span>
          </div>
          {v.workload.desired !== null && v.workload.desired > 0 && (
            <div className="pods" role="img" aria-label={`${v.workload.ready ?? 0} of ${v.workload.desired} replicas ready`}>
              {Array.from({ length: Math.min(v.workload.desired, 24) }, (_, i) => <span key={i} className={i < (v.workload!.ready ?? 0) ? 'pod up' : 'pod down'} />)}
            </div>
          )}
          <div className="small muted row" style={{ gap: 12 }}>
            <span>restarts (10 min): <span className={(v.workload.restarts ?? 0) > 3 ? 'tone-warn' : ''}>{v.workload.restarts ?? '—'}</span></span>
            {v.workload.nodes && <span>nodes {v.workload.nodes.ready}/{v.workload.nodes.total} ready</span>}
            {v.workload.podsNotReady.length > 0 && <span className="tone-bad ellipsis" title={v.workload.podsNotReady.join(', ')}>not ready: {v.workload.podsNotReady.join(', ')}</span>}
          </div>
        </Section>
      )}

      {(v.probes.length > 0 || v.unprobed.length > 0) && (
        <Section title="Health" open={open}>
          <ul className="probes">
            {v.probes.map((p) => <Probe key={p.id} p={p} open={open} />)}
            {v.unprobed.map((u) => <li key={u} className="probe"><div className="probe-line"><Dot tone="muted" label="not probed" /><span className="mono small ellipsis" title={u}>{u}</span><span className="muted small">no probe</span></div></li>)}
          </ul>
        </Section>
      )}

      {v.meters.length > 0 && (
        <Section title="Usage and cost" open={open}>
          <ul className="meters">{v.meters.map((m) => <Meter key={m.id} m={m} open={open} />)}</ul>
        </Section>
      )}

      <footer className="app-foot">
        <span className="muted small">Monitors</span>
        {v.monitors.map((m) => (
          <button key={m.id} className="chip" onClick={() => open(m.id)} aria-label={`Monitor ${m.id}: ${STATE_LABEL[m.state]}`} title={m.reading?.summary ?? KIND_LABEL[m.kind]}>
            <span className={`dot bg-${stateTone(m.state)}`} aria-hidden="true" />{m.id}
          </button>
        ))}
      </footer>
    </article>
  );
}

function Section({ title, monitorId, state, open, aside, children }: { title: string; monitorId?: string | null; state?: StateName; open: (id: string) => void; aside?: React.ReactNode; children: React.ReactNode }) {
  return (
    <section className="app-section" aria-label={title}>
      <div className="app-section-head">
        <h3>{title}</h3>
        {state && state !== 'ok' && <span className={`small tone-${stateTone(state)}`}>{STATE_LABEL[state].toLowerCase()}</span>}
        <div className="spacer" />
        {aside && <span className="small muted">{aside}</span>}
        {monitorId && <button className="ghost sm" onClick={() => open(monitorId)} aria-label={`History of ${monitorId}`}>History</button>}
      </div>
      {children}
    </section>
  );
}

function Probe({ p, open }: { p: ProbeView; open: (id: string) => void }) {
  return (
    <li className="probe">
      <div className="probe-line">
        <Dot tone={stateTone(p.state)} label={STATE_LABEL[p.state]} />
        <button className="link mono small ellipsis" onClick={() => open(p.id)} title={p.url}>{p.label}</button>
        <span className="probe-figs small">
          <span className={p.state === 'ok' || p.state === 'pending' ? '' : 'tone-bad'}>{p.statusCode ?? (p.error ? 'down' : '—')}</span>
          <strong>{p.latencyMs !== null ? `${Math.round(p.latencyMs)} ms` : '—'}</strong>
        </span>
      </div>
      <Sparkline points={p.points} label={`Latency of ${p.label}`} />
      {p.points.length > 1 && (
        <div className="probe-caption small muted">
          <span>p95 {p.p95Ms !== null ? `${Math.round(p.p95Ms)} ms` : '—'}</span>
          {p.uptime !== null && <span className={p.uptime < 1 ? 'tone-warn' : ''}>{Math.round(p.uptime * 1000) / 10}% up</span>}
          <span>last {p.points.length} checks</span>
        </div>
      )}
    </li>
  );
}

function Sparkline({ points, label }: { points: SparkPoint[]; label: string }) {
  if (points.length < 2) return <span className="spark empty muted small" role="img" aria-label={`${label}: not enough checks yet`}>{points.length ? 'one check so far' : 'no checks yet'}</span>;
  const failed = points.filter((p) => !p.ok).length;
  const max = Math.max(1, ...points.map((p) => p.v ?? 0));
  // failed checks are red ticks from the baseline; the latency area has gaps where no value came back
  const data = points.map((p) => ({ t: p.t, v: p.v, fail: p.ok ? null : max * 0.35 }));
  return (
    <span className="spark" role="img" aria-label={`${label}: ${points.length} checks, ${failed} failed`} data-testid="sparkline">
      <ResponsiveContainer width="100%" height={32}>
        <ComposedChart data={data} margin={{ top: 3, right: 0, bottom: 1, left: 0 }} barCategoryGap={0}>
          <YAxis hide domain={[0, max]} />
          <Bar dataKey="fail" fill="var(--bad)" barSize={3} isAnimationActive={false} />
          <Area type="monotone" dataKey="v" stroke="var(--accent)" strokeWidth={1.5} fill="var(--accent-soft)" connectNulls={false} dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </span>
  );
}

function Meter({ m, open }: { m: MeterView; open: (id: string) => void }) {
  const pct = m.ratio === null ? null : Math.round(m.ratio * 100);
  return (
    <li className="meter-row">
      <div className="row" style={{ justifyContent: 'space-between', flexWrap: 'nowrap' }}>
        <button className="link small" onClick={() => open(m.id)}>{m.label}</button>
        <span className="small nowrap"><strong>{m.used}</strong>{m.limit && <span className="muted"> of {m.limit}</span>}{pct !== null && <span className={`tone-${m.tone}`}> · {pct}%</span>}</span>
      </div>
      <div className="meter" role="meter" aria-label={`${m.label}: ${m.used}${m.limit ? ` of ${m.limit}` : ''}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? 0}>
        <div className={`meter-fill bg-${m.tone}`} style={{ width: `${Math.min(100, pct ?? 0)}%` }} />
        <div className="meter-mark" style={{ left: '80%' }} aria-hidden="true" />
      </div>
      {m.note && <div className="muted small">{m.note}</div>}
    </li>
  );
}

function MonitorDetail({ ws, m }: { ws: string; m: MonitorState }) {
  const qc = useQueryClient();
  const toast = useToast();
  const canRun = useCan(ws, 'member');
  const run = useMutation({
    mutationFn: () => call(api.POST('/api/workspaces/{ws}/monitors/{id}/run', { params: { path: { ws, id: m.id } } })),
    onSuccess: (s) => {
      toast(`${s.id}: ${s.reading?.summary ?? STATE_LABEL[s.state]}`, !s.reading?.ok);
      void qc.invalidateQueries({ queryKey: ['apps', ws] });
    },
    onError: (e) => toast(errorText(e), true),
  });
  const rows = historyRows(m);
  const unit = valueUnit(m);
  const points = sparkPoints(m.history);
  const data = points.map((p) => ({ t: p.t, v: p.v ?? 0, ok: p.ok }));
  const span = points.length > 1 ? points[points.length - 1]!.t - points[0]!.t : 0;
  const r = m.reading;
  const details = r?.details && typeof r.details === 'object' ? Object.entries(r.details as Record<string, unknown>) : [];
  return (
    <div className="stack" data-testid="monitor-detail">
      <div className="row">
        <StateBadge state={m.state} />
        <SeverityBadge severity={m.severity} />
        <span className="badge">{KIND_LABEL[m.kind]}</span>
        {m.environment && <span className="badge">{m.environment}</span>}
        <div className="spacer" style={{ flex: 1 }} />
        {canRun && <button className="primary sm" onClick={() => run.mutate()} disabled={run.isPending}>{run.isPending ? 'Checking…' : 'Check now'}</button>}
      </div>
      {r && (
        <div className={`summary ${r.ok ? '' : 'tone-bad'}`}>{r.summary}{r.error && <div className="small" style={{ fontWeight: 400 }}>{r.error}</div>}</div>
      )}
      <dl className="meta">
        <dt>App</dt><dd>{m.app}</dd>
        <dt>Last check</dt><dd>{r ? <Rel at={r.at} /> : 'never'}</dd>
        <dt>Next check</dt><dd>{m.next_due_at ? <Rel at={m.next_due_at} /> : '—'}</dd>
        <dt>Every</dt><dd>{m.interval_secs}s</dd>
        <dt>In a row</dt><dd>{m.consecutive} {m.state === 'ok' ? 'good' : m.state === 'pending' ? '' : 'failed'} check{m.consecutive === 1 ? '' : 's'}</dd>
        <dt>Alert</dt><dd>{m.group_id ? <Link to={`/w/${encodeURIComponent(ws)}/groups/${encodeURIComponent(m.group_id)}`}>open alert group →</Link> : <span className="muted">none open</span>}</dd>
      </dl>
      <section aria-label="History">
        <h3>History <span className="muted small">({rows.length} check{rows.length === 1 ? '' : 's'}{unit ? `, ${unit}` : ''})</span></h3>
        {data.length === 0 ? <span className="muted small">No checks yet.</span> : (
          <div style={{ height: 140 }} role="img" aria-label={`History of ${m.id}: ${data.length} checks, ${data.filter((d) => !d.ok).length} failed`} data-testid="monitor-history">
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: -16 }} barCategoryGap="12%">
                <XAxis dataKey="t" tickFormatter={(t: number) => clock(t, span)} stroke="var(--text-3)" fontSize={11} tickLine={false} minTickGap={32} />
                <YAxis stroke="var(--text-3)" fontSize={11} tickLine={false} axisLine={false} allowDecimals={false} />
                <Tooltip cursor={{ fill: 'var(--hover)' }} labelFormatter={(t) => new Date(Number(t)).toLocaleString()} formatter={(v) => [`${v}${unit ? ` ${unit}` : ''}`, 'value']} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12, color: 'var(--text)' }} />
                <Bar dataKey="v" isAnimationActive={false} radius={[2, 2, 0, 0]} minPointSize={2}>
                  {data.map((d, i) => <Cell key={i} fill={d.ok ? 'var(--ok)' : 'var(--bad)'} />)}
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          </div>
        )}
        {rows.length > 0 && (
          <div className="table-wrap" style={{ maxHeight: 200, overflow: 'auto' }} tabIndex={0} role="region" aria-label={`Checks of ${m.id}, newest first`}>
            <table className="plain">
              <thead><tr><th>When</th><th>Outcome</th><th className="num">Value</th></tr></thead>
              <tbody>{rows.slice(0, 30).map((h) => (
                <tr key={h.at}><td><time dateTime={h.at} title={absolute(h.at)}>{clock(Date.parse(h.at), span, true)}</time> <span className="muted small">{relative(h.at)}</span></td><td className={h.ok ? 'tone-ok' : 'tone-bad'}>{h.ok ? 'ok' : 'failed'}</td><td className="num">{h.value === null ? '—' : `${Math.round(h.value * 100) / 100}${unit ? ` ${unit}` : ''}`}</td></tr>
              ))}</tbody>
            </table>
          </div>
        )}
      </section>
      {details.length > 0 && (
        <details>
          <summary className="small">Latest reading's details</summary>
          <pre className="json">{JSON.stringify(r?.details, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}

function NoMonitors({ ws }: { ws: string }) {
  const example = JSON.stringify({
    apps: [{ name: 'api', health_urls: ['https://api.example.com/healthz'] }],
    monitors: [{ id: 'api-health', app: 'api', kind: 'http_probe', interval_secs: 30, config: { url: 'https://api.example.com/healthz', expect_status: 200, max_latency_ms: 800 }, breach_after: 2, recover_after: 1, severity: 'critical', environment: 'production' }],
  }, null, 2);
  return (
    <section className="card fleet-empty" aria-labelledby="fe">
      <div className="stack" style={{ gap: 6 }}>
        <h2 id="fe" style={{ margin: 0 }}>No monitors yet</h2>
        <p className="muted" style={{ margin: 0, maxWidth: 640 }}>
          The Fleet page shows every app at a glance: its repository and CI, image tags, workload, health probes, usage and cost.
          Describe your apps and what to watch in a monitors document, then store it — a breach that persists becomes an alert in the inbox.
        </p>
      </div>
      <div className="grid-2">
        <div className="stack" style={{ gap: 6 }}>
          <h3 style={{ margin: 0 }}>With the CLI</h3>
          <pre className="json">{`signalcraft monitor put ${ws} monitors.json\nsignalcraft monitor run ${ws} --once\nsignalcraft monitor status ${ws}`}</pre>
          <h3 style={{ margin: '8px 0 0' }}>Or over the API (admin)</h3>
          <pre className="json">{`curl -X PUT -H "Authorization: Bearer $TOKEN" \\\n  -H "Content-Type: application/json" \\\n  --data @monitors.json \\\n  ${window.location.origin}/api/workspaces/${ws}/monitors`}</pre>
        </div>
        <div className="stack" style={{ gap: 6 }}>
          <h3 style={{ margin: 0 }}>monitors.json</h3>
          <pre className="json">{example}</pre>
          <span className="muted small">Kinds: http_probe, git_ci, registry_freshness, k8s_workloads, cloud_cost, usage_quota.</span>
        </div>
      </div>
    </section>
  );
}

/** A time of day for the history: with seconds when the checks span less than an hour (or always). */
function clock(t: number, span: number, seconds = false): string {
  const d = new Date(t);
  const opts: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', ...(seconds || span < 3600_000 ? { second: '2-digit' } : {}) };
  return span > 86400_000 ? d.toLocaleString(undefined, { weekday: 'short', ...opts }) : d.toLocaleTimeString(undefined, opts);
}
