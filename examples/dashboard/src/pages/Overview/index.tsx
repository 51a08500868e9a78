// Overview: alerts over the window (stacked by severity, with the previous window's rate for
// trend), the KPIs, noisy sources/projects/fingerprints, groups by status and severity, and the
// health of each integration. Charts are Recharts (SVG, so they are in the DOM: readable by tests
// and screen readers, themed by CSS variables).
import { useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, call, type Stats } from '../../api/client';
import { Layout } from '../../components/Layout';
import { EmptyState, ErrorState, Loading, Rel } from '../../components/ui';
import { duration } from '../../lib/time';

const WINDOWS = ['1h', '24h', '7d'] as const;
const SEV = ['critical', 'error', 'warning', 'info', 'debug'] as const;

export function Overview() {
  const { ws = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const window = (WINDOWS as readonly string[]).includes(params.get('window') ?? '') ? params.get('window')! : '24h';
  const stats = useQuery({
    queryKey: ['stats', ws, window],
    queryFn: () => call(api.GET('/api/workspaces/{ws}/stats', { params: { path: { ws }, query: { window } } })),
    refetchInterval: 30_000,
  });
  const integrations = useQuery({
    queryKey: ['integrations', ws],
    queryFn: () => call(api.GET('/api/workspaces/{ws}/integrations', { params: { path: { ws } } })),
  });

  return (
    <Layout
      title="Overview"
      actions={
        <div className="row" role="group" aria-label="Window">
          {WINDOWS.map((w) => (
            <button key={w} className={w === window ? 'primary sm' : 'sm'} aria-pressed={w === window} onClick={() => setParams({ window: w })}>{w}</button>
          ))}
        </div>
      }
    >
      {stats.isPending ? <Loading rows={6} /> : stats.isError ? <ErrorState error={stats.error} retry={() => stats.refetch()} /> : <Body s={stats.data} ws={ws} />}
      <section className="card pad0" aria-labelledby="ih">
        <div className="card-head"><h2 id="ih">Integration health</h2><div className="spacer" /><Link to={`/w/${encodeURIComponent(ws)}/integrations`}>Manage</Link></div>
        {integrations.isPending ? <Loading rows={3} /> : integrations.isError ? <ErrorState error={integrations.error} /> : (
          <div className="table-wrap"><table className="plain">
            <thead><tr><th>Source</th><th>Last webhook</th><th className="num">Accepted 24 h</th><th className="num">Rejected 24 h</th><th>Last error</th></tr></thead>
            <tbody>{integrations.data.integrations.map((i) => {
              const h = i.health;
              const rejected = h ? Object.values(h.rejected_24h).reduce((a, b) => a + b, 0) : 0;
              return (
                <tr key={i.source}>
                  <td><strong>{i.source}</strong></td>
                  <td>{h?.last_delivery_at ? <Rel at={h.last_delivery_at} /> : <span className="muted">never</span>}</td>
                  <td className="num">{h?.accepted_24h ?? 0}</td>
                  <td className="num">{rejected ? <span className="tone-bad" title={Object.entries(h!.rejected_24h).map(([k, v]) => `${k}: ${v}`).join(', ')}>{rejected}</span> : 0}</td>
                  <td className="small">{h?.last_error ? <span className="tone-bad">{h.last_error.kind}: {h.last_error.message}</span> : <span className="muted">—</span>}</td>
                </tr>
              );
            })}</tbody>
          </table></div>
        )}
      </section>
    </Layout>
  );
}

function pct(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : `${Math.round(n * 100)}%`;
}

function Body({ s, ws }: { s: Stats; ws: string }) {
  const series = useMemo(() => (s.series ?? []).map((b) => ({
    t: new Date(b.at).getTime(),
    ...b.by_severity,
    events: b.events,
    new_groups: b.new_groups,
  })), [s.series]);
  const prevRate = series.length ? s.events_previous / series.length : 0;
  const change = s.events_previous ? (s.events - s.events_previous) / s.events_previous : null;
  const short = s.window === '1h' || s.window === '24h';
  const fmt = (t: number) => new Date(t).toLocaleString(undefined, short ? { hour: '2-digit', minute: '2-digit' } : { weekday: 'short', hour: '2-digit' });
  const status = Object.entries(s.by_status).map(([name, n]) => ({ name, n }));
  const sev = SEV.map((k) => ({ name: k, n: s.by_severity[k] ?? 0 }));
  return (
    <>
      <div className="kpis">
        <Kpi label="Alerts" value={s.events.toLocaleString()} sub={change === null ? `none in the previous ${s.window}` : <span className={change > 0 ? 'trend-up' : 'trend-down'}>{change > 0 ? '▲' : '▼'} {Math.abs(Math.round(change * 100))}% vs previous {s.window}</span>} />
        <Kpi label="New groups" value={s.new_groups.toLocaleString()} />
        <Kpi label="Dedup ratio" value={pct(s.dedup_ratio)} sub="alerts folded into groups" />
        <Kpi label="Ack rate" value={pct(s.ack_rate)} />
        <Kpi label="MTTA" value={duration(s.mtta_secs.median)} sub={`p90 ${duration(s.mtta_secs.p90)}`} />
        <Kpi label="MTTR" value={duration(s.mttr_secs.median)} sub={`p90 ${duration(s.mttr_secs.p90)}`} />
      </div>
      <section className="card" aria-labelledby="ot">
        <div className="row" style={{ justifyContent: 'space-between', marginBottom: 8 }}>
          <h2 id="ot" style={{ margin: 0 }}>Alerts over the last {s.window}</h2>
          <div className="row small muted" style={{ gap: 12 }}>
            {SEV.map((k) => <span key={k} className="row" style={{ gap: 4 }}><span className="dot" style={{ background: `var(--sev-${k})` }} aria-hidden="true" />{k}</span>)}
            {prevRate > 0 && <span>┄ previous {s.window}, average</span>}
          </div>
        </div>
        {series.length === 0 || s.events === 0 ? <EmptyState title="No alerts in this window">Alerts appear here as webhooks arrive.</EmptyState> : (
          <div style={{ height: 260 }} data-testid="chart-alerts" role="img" aria-label={`Alerts per bucket over the last ${s.window}, by severity`}>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} barCategoryGap="18%">
                <CartesianGrid stroke="var(--border)" vertical={false} />
                <XAxis dataKey="t" tickFormatter={fmt} stroke="var(--text-3)" fontSize={11} tickLine={false} minTickGap={24} />
                <YAxis allowDecimals={false} stroke="var(--text-3)" fontSize={11} tickLine={false} axisLine={false} />
                <Tooltip cursor={{ fill: 'var(--hover)' }} labelFormatter={(t) => new Date(Number(t)).toLocaleString()} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12, color: 'var(--text)' }} />
                {[...SEV].reverse().map((k, i) => (
                  <Bar key={k} dataKey={k} stackId="sev" fill={`var(--sev-${k})`} isAnimationActive={false} radius={i === SEV.length - 1 ? [2, 2, 0, 0] : 0} />
                ))}
                {prevRate > 0 && <ReferenceLine y={prevRate} stroke="var(--text-2)" strokeDasharray="4 4" />}
              </BarChart>
            </ResponsiveContainer>
          </div>
        )}
      </section>
      <div className="grid-2">
        <section className="card" aria-labelledby="bs">
          <h2 id="bs">Groups by status</h2>
          <MiniBars data={status} color={(n) => `var(--${n === 'open' ? 'bad' : n === 'resolved' ? 'ok' : n === 'snoozed' ? 'warn' : 'accent'})`} testid="chart-status" />
        </section>
        <section className="card" aria-labelledby="bsev">
          <h2 id="bsev">Groups by severity</h2>
          <MiniBars data={sev} color={(n) => `var(--sev-${n})`} testid="chart-severity" />
        </section>
      </div>
      <div className="grid-2">
        <Noisy title="Noisiest sources" items={s.noisy.sources} ws={ws} param="source" />
        <Noisy title="Noisiest projects" items={s.noisy.projects} ws={ws} param="project" />
        <Noisy title="Noisiest fingerprints" items={s.noisy.fingerprints} ws={ws} />
      </div>
    </>
  );
}

function Kpi({ label, value, sub }: { label: string; value: string; sub?: React.ReactNode }) {
  return <div className="kpi"><div className="kpi-label">{label}</div><div className="kpi-value">{value}</div>{sub && <div className="kpi-sub">{sub}</div>}</div>;
}

function MiniBars({ data, color, testid }: { data: { name: string; n: number }[]; color: (n: string) => string; testid: string }) {
  if (data.every((d) => d.n === 0)) return <EmptyState title="Nothing yet" />;
  return (
    <div style={{ height: 180 }} data-testid={testid} role="img" aria-label={data.map((d) => `${d.name} ${d.n}`).join(', ')}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 8 }}>
          <XAxis type="number" hide allowDecimals={false} />
          <YAxis type="category" dataKey="name" width={90} stroke="var(--text-3)" fontSize={12} tickLine={false} axisLine={false} />
          <Tooltip cursor={{ fill: 'var(--hover)' }} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 }} />
          <Bar dataKey="n" name="groups" radius={[0, 4, 4, 0]} isAnimationActive={false} label={{ position: 'right', fill: 'var(--text-2)', fontSize: 12 }}
            shape={(p: unknown) => { const q = p as { x: number; y: number; width: number; height: number; payload: { name: string } }; return <rect x={q.x} y={q.y + 3} width={Math.max(0, q.width)} height={Math.max(0, q.height - 6)} rx={3} fill={color(q.payload.name)} />; }} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function Noisy({ title, items, ws, param }: { title: string; items: { name: string; events: number }[]; ws: string; param?: 'source' | 'project' }) {
  const max = Math.max(1, ...items.map((i) => i.events));
  return (
    <section className="card" aria-label={title}>
      <h2>{title}</h2>
      {items.length === 0 ? <span className="muted small">No alerts in this window.</span> : (
        <ol style={{ listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: 8 }}>
          {items.slice(0, 6).map((i) => (
            <li key={i.name} className="stack" style={{ gap: 3 }}>
              <div className="row" style={{ justifyContent: 'space-between', flexWrap: 'nowrap' }}>
                {param ? <Link to={`/w/${encodeURIComponent(ws)}/inbox?${param}=${encodeURIComponent(i.name)}&status=`} className="mono" style={{ overflow: 'hidden', textOverflow: 'ellipsis' }}>{i.name}</Link> : <span className="mono" style={{ overflow: 'hidden', textOverflow: 'ellipsis' }}>{i.name}</span>}
                <span className="small" style={{ fontVariantNumeric: 'tabular-nums' }}>{i.events.toLocaleString()}</span>
              </div>
              <div style={{ height: 4, background: 'var(--panel-2)', borderRadius: 2 }}><div style={{ height: 4, width: `${(i.events / max) * 100}%`, background: 'var(--accent)', borderRadius: 2 }} /></div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
