// Silences and maintenance windows: the inventory (who, why, since, expiry countdown, how many open
// groups each mutes now, stale ones flagged), create with a live preview, expire.
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, errorText, type AlertGroup, type Silence } from '../../api/client';
import { ConditionEditor, type ErrorAt } from '../../components/ConditionEditor';
import { Layout } from '../../components/Layout';
import { useCan } from '../../components/session';
import { EmptyState, ErrorState, Field, Loading, Modal, Rel, SeverityBadge, useToast } from '../../components/ui';
import { describe, matches } from '../../lib/conditions';
import { absolute, duration } from '../../lib/time';
import { who } from '../../lib/who';

function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => setNow(Date.now()), ms); return () => clearInterval(t); }, [ms]);
  return now;
}

export function Silences() {
  const { ws = '' } = useParams();
  const qc = useQueryClient();
  const toast = useToast();
  const canEdit = useCan(ws, 'admin');
  const now = useNow();
  const silences = useQuery({ queryKey: ['silences', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/silences', { params: { path: { ws } } })) });
  const maint = useQuery({ queryKey: ['maintenance', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/maintenance', { params: { path: { ws } } })) });
  const open = useQuery({
    queryKey: ['groups-open', ws],
    queryFn: () => call(api.GET('/api/workspaces/{ws}/groups', { params: { path: { ws }, query: { status: 'open,acknowledged,snoozed', limit: 1000 } } })),
  });
  const groups = open.data?.groups ?? [];
  const expire = useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/workspaces/{ws}/silences/{id}', { params: { path: { ws, id } } })),
    onSuccess: () => { toast('Silence expired'); void qc.invalidateQueries({ queryKey: ['silences', ws] }); },
    onError: (e) => toast(errorText(e), true),
  });
  const delMaint = useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/workspaces/{ws}/maintenance/{id}', { params: { path: { ws, id } } })),
    onSuccess: () => { toast('Maintenance window deleted'); void qc.invalidateQueries({ queryKey: ['maintenance', ws] }); },
    onError: (e) => toast(errorText(e), true),
  });
  const [creating, setCreating] = useState<'silence' | 'maintenance' | null>(null);
  const list = [...(silences.data?.silences ?? [])].sort((a, b) => Number(b.active) - Number(a.active) || (a.ends_at < b.ends_at ? 1 : -1));

  return (
    <Layout title="Silences" actions={canEdit ? <div className="row"><button onClick={() => setCreating('maintenance')}>New maintenance window</button><button className="primary" onClick={() => setCreating('silence')}>New silence</button></div> : undefined}>
      <section className="card pad0" aria-labelledby="sl">
        <div className="card-head"><h2 id="sl">Silences</h2></div>
        {silences.isPending ? <Loading rows={3} /> : silences.isError ? <ErrorState error={silences.error} retry={() => silences.refetch()} /> : list.length === 0 ? (
          <EmptyState title="No silences" action={canEdit ? <button onClick={() => setCreating('silence')}>Silence something</button> : undefined}>Mute matching alerts for a while, during an incident or a deploy.</EmptyState>
        ) : (
          <div className="table-wrap"><table className="plain">
            <thead><tr><th>Matches</th><th>Why</th><th>Created by</th><th>Since</th><th>Expires</th><th className="num">Muting now</th><th /></tr></thead>
            <tbody>{list.map((s) => {
              const muting = groups.filter((g) => matches(s.when, g)).length;
              const left = (Date.parse(s.ends_at) - now) / 1000;
              const stale = s.active && muting === 0 && !open.isPending;
              return (
                <tr key={s.id} style={{ opacity: s.active ? 1 : 0.6 }}>
                  <td><span className="mono">{describe(s.when)}</span></td>
                  <td>{s.comment ?? <span className="muted">—</span>}</td>
                  <td data-testid="silence-creator"><Creator actor={s.created_by} /></td>
                  <td><Rel at={s.starts_at} /></td>
                  <td title={absolute(s.ends_at)}>{s.active ? <span style={{ fontVariantNumeric: 'tabular-nums' }}>in {duration(left)}</span> : <span className="muted">expired <Rel at={s.ends_at} /></span>}</td>
                  <td className="num">{s.active ? muting : '—'}{stale && <span className="badge st-snoozed" style={{ marginLeft: 6 }} title="Active but matches no open group">stale</span>}</td>
                  <td>{s.active && canEdit && <button className="sm" onClick={() => expire.mutate(s.id)}>Expire</button>}</td>
                </tr>
              );
            })}</tbody>
          </table></div>
        )}
      </section>
      <section className="card pad0" aria-labelledby="mw">
        <div className="card-head"><h2 id="mw">Maintenance windows</h2></div>
        {maint.isPending ? <Loading rows={2} /> : maint.isError ? <ErrorState error={maint.error} retry={() => maint.refetch()} /> : maint.data.maintenance.length === 0 ? (
          <EmptyState title="No maintenance windows">Recurring quiet hours, such as a nightly batch or a weekly deploy.</EmptyState>
        ) : (
          <div className="table-wrap"><table className="plain">
            <thead><tr><th>When</th><th>Time zone</th><th>Matches</th><th>Status</th><th /></tr></thead>
            <tbody>{maint.data.maintenance.map((m) => (
              <tr key={m.id}>
                <td>{m.weekdays.join(', ')} · {m.from}–{m.to}</td>
                <td>{m.tz}</td>
                <td className="mono">{m.when ? describe(m.when) : m.rules.length ? `rules ${m.rules.join(', ')}` : 'everything'}</td>
                <td>{m.active ? <span className="badge st-snoozed">in window now</span> : <span className="badge">scheduled</span>}</td>
                <td>{canEdit && <button className="sm" onClick={() => delMaint.mutate(m.id)}>Delete</button>}</td>
              </tr>
            ))}</tbody>
          </table></div>
        )}
      </section>
      <NewSilence ws={ws} open={creating === 'silence'} onClose={() => setCreating(null)} groups={groups} />
      <NewMaintenance ws={ws} open={creating === 'maintenance'} onClose={() => setCreating(null)} />
    </Layout>
  );
}

function Creator({ actor }: { actor: string | null }) {
  const w = who(actor);
  if (w.kind === 'unknown') return <span className="muted small" title={w.title}>not recorded</span>;
  return (
    <span className="who" title={w.title}>
      <span className={`avatar ${w.kind}`} aria-hidden="true">{w.kind === 'token' ? '⚿' : w.kind === 'cli' ? '>_' : w.name.slice(0, 1).toUpperCase()}</span>
      <span>{w.name}</span>
      {w.kind === 'token' && <span className="badge">token</span>}
    </span>
  );
}

function NewSilence({ ws, open, onClose, groups }: { ws: string; open: boolean; onClose: () => void; groups: AlertGroup[] }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [when, setWhen] = useState<unknown>({ all: [{ field: 'source', op: 'eq', value: 'grafana' }] });
  const [ends, setEnds] = useState('2h');
  const [comment, setComment] = useState('');
  const [err, setErr] = useState<ErrorAt | null>(null);
  const preview = useMemo(() => groups.filter((g) => matches(when, g)), [groups, when]);
  const add = useMutation({
    mutationFn: () => call(api.POST('/api/workspaces/{ws}/silences', { params: { path: { ws } }, body: { when: when as Silence['when'], ends_at: ends, comment: comment || null } })),
    onSuccess: () => { toast('Silence added'); void qc.invalidateQueries({ queryKey: ['silences', ws] }); onClose(); },
    onError: (e) => setErr({ path: (e as { path?: string }).path ?? '', message: errorText(e) }),
  });
  return (
    <Modal title="New silence" open={open} onClose={onClose}>
      <ConditionEditor value={when} onChange={(w) => { setWhen(w); setErr(null); }} path="when" error={err} />
      <div className="row" style={{ alignItems: 'flex-start' }}>
        <Field label="For (or until)" hint="2h, 30m, 1d or an RFC 3339 time" error={err?.path === 'ends_at' ? err.message : null}><input type="text" value={ends} onChange={(e) => setEnds(e.target.value)} /></Field>
        <div style={{ flex: 1 }}><Field label="Why"><input type="text" value={comment} onChange={(e) => setComment(e.target.value)} placeholder="deploying api v2" style={{ width: '100%' }} /></Field></div>
      </div>
      {err && !['ends_at'].includes(err.path) && !err.path.startsWith('when') && <span className="field-error" role="alert">{err.message}</span>}
      <div className="stack" style={{ gap: 6 }}>
        <strong className="small">Would mute {preview.length} open group{preview.length === 1 ? '' : 's'} now</strong>
        <ul style={{ listStyle: 'none', margin: 0, padding: 0, maxHeight: 160, overflow: 'auto', display: 'flex', flexDirection: 'column', gap: 4 }}>
          {preview.slice(0, 20).map((g) => <li key={g.id} className="row small" style={{ flexWrap: 'nowrap' }}><SeverityBadge severity={g.severity} /><Link to={`/w/${encodeURIComponent(ws)}/groups/${g.id}`} style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{g.title}</Link></li>)}
        </ul>
      </div>
      <div className="row" style={{ justifyContent: 'flex-end' }}><button onClick={onClose}>Cancel</button><button className="primary" disabled={add.isPending} onClick={() => add.mutate()}>Silence</button></div>
    </Modal>
  );
}

function NewMaintenance({ ws, open, onClose }: { ws: string; open: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [weekdays, setWeekdays] = useState('mon-fri');
  const [from, setFrom] = useState('22:00');
  const [to, setTo] = useState('23:00');
  const [tz, setTz] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [err, setErr] = useState<{ path: string | null; message: string } | null>(null);
  const add = useMutation({
    mutationFn: () => call(api.POST('/api/workspaces/{ws}/maintenance', { params: { path: { ws } }, body: { weekdays, from, to, tz } })),
    onSuccess: () => { toast('Maintenance window added'); void qc.invalidateQueries({ queryKey: ['maintenance', ws] }); onClose(); },
    onError: (e) => setErr({ path: (e as { path?: string | null }).path ?? null, message: errorText(e) }),
  });
  const at = (p: string) => (err?.path === p ? err.message : null);
  return (
    <Modal title="New maintenance window" open={open} onClose={onClose}>
      <div className="grid-2" style={{ gridTemplateColumns: '1fr 1fr', gap: 12 }}>
        <Field label="Weekdays" hint="mon-fri, sat,sun or all" error={at('weekdays')}><input type="text" value={weekdays} onChange={(e) => setWeekdays(e.target.value)} /></Field>
        <Field label="Time zone" error={at('tz')}><input type="text" value={tz} onChange={(e) => setTz(e.target.value)} /></Field>
        <Field label="From" error={at('from')}><input type="text" value={from} onChange={(e) => setFrom(e.target.value)} placeholder="HH:MM" /></Field>
        <Field label="To" error={at('to')}><input type="text" value={to} onChange={(e) => setTo(e.target.value)} placeholder="HH:MM" /></Field>
      </div>
      {err && !['weekdays', 'tz', 'from', 'to'].includes(err.path ?? '') && <span className="field-error" role="alert">{err.message}</span>}
      <div className="row" style={{ justifyContent: 'flex-end' }}><button onClick={onClose}>Cancel</button><button className="primary" disabled={add.isPending} onClick={() => add.mutate()}>Add window</button></div>
    </Modal>
  );
}
