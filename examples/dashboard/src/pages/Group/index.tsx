// Group detail: badges, counts and times, one timeline of events and state changes (newest first,
// paged: older events and older state changes load on demand), the decision trace in words,
// actions (snooze presets), notes, assignee, runbook, deliveries, related groups.
import { Fragment, useMemo, useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, errorText, type Command, type GroupDetail } from '../../api/client';
import { Layout } from '../../components/Layout';
import { useCan, useSession } from '../../components/session';
import { EmptyState, ErrorState, Field, Loading, Modal, Popover, Rel, SeverityBadge, StatusBadge, useToast } from '../../components/ui';
import { actedText } from '../../lib/actions';
import { absolute, snoozeUntil } from '../../lib/time';
import { pagedSummary, wordTrace, type TraceLine } from '../../lib/trace';

/** Items per "load more" page (the API allows up to 200). */
const MORE = 100;

type Item =
  | { kind: 'event'; at: string; key: string; e: GroupDetail['events'][number] }
  | { kind: 'change'; at: string; key: string; t: GroupDetail['timeline'][number] };

export function Group() {
  const { ws = '', id = '' } = useParams();
  const loc = useLocation();
  const from = (loc.state as { from?: string } | null)?.from;
  const qc = useQueryClient();
  const toast = useToast();
  const canAct = useCan(ws, 'member');
  const { me } = useSession();
  const q = useQuery({
    queryKey: ['group', ws, id],
    queryFn: () => call(api.GET('/api/workspaces/{ws}/groups/{id}', { params: { path: { ws, id } } })),
  });
  // Events and state changes page by page, newest first, through the paging routes (the group's
  // own answer holds only the first page of each). Keys under ['group', ws, id], so an action's
  // invalidation refetches every loaded page with fresh cursors: no gap, no repeat.
  const events = useInfiniteQuery({
    queryKey: ['group', ws, id, 'events'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => call(api.GET('/api/workspaces/{ws}/groups/{id}/events', {
      params: { path: { ws, id }, query: pageParam ? { cursor: pageParam, limit: MORE } : { limit: 50 } },
    })),
    getNextPageParam: (last) => last.next ?? undefined,
  });
  const changes = useInfiniteQuery({
    queryKey: ['group', ws, id, 'timeline'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => call(api.GET('/api/workspaces/{ws}/groups/{id}/timeline', {
      params: { path: { ws, id }, query: pageParam ? { cursor: pageParam, limit: MORE } : { limit: 50 } },
    })),
    getNextPageParam: (last) => last.next ?? undefined,
  });
  const deliveries = useQuery({
    queryKey: ['deliveries', ws, id],
    queryFn: () => call(api.GET('/api/workspaces/{ws}/groups/{id}/deliveries', { params: { path: { ws, id } } })),
  });
  const related = useQuery({
    queryKey: ['related', ws, q.data?.project ?? null, q.data?.fingerprint],
    enabled: !!q.data,
    queryFn: () => call(api.GET('/api/workspaces/{ws}/groups', {
      params: { path: { ws }, query: { ...(q.data?.project ? { project: q.data.project } : { source: q.data!.source }), status: 'open,acknowledged,snoozed,resolved', limit: 20 } },
    })),
  });
  const act = useMutation({
    mutationFn: (c: Command) => call(api.POST('/api/workspaces/{ws}/groups/{id}/actions', { params: { path: { ws, id } }, body: c })),
    onSuccess: (_g, c) => {
      toast(actedText(c, 1));
      void qc.invalidateQueries({ queryKey: ['group', ws, id] });
      void qc.invalidateQueries({ queryKey: ['groups', ws] });
    },
    onError: (e) => toast(errorText(e), true),
  });
  const [customOpen, setCustomOpen] = useState(false);
  const [selectedEvent, setSelectedEvent] = useState<string | null>(null);

  const g = q.data;
  const loadedEvents = useMemo(() => events.data?.pages.flatMap((p) => p.items) ?? g?.events ?? [], [events.data, g]);
  const loadedChanges = useMemo(() => changes.data?.pages.flatMap((p) => p.items) ?? g?.timeline ?? [], [changes.data, g]);
  const items = useMemo<Item[]>(() => {
    const out: Item[] = [
      ...loadedEvents.map((e) => ({ kind: 'event' as const, at: e.received_at, key: `e${e.id}`, e })),
      ...loadedChanges.map((t, i) => ({ kind: 'change' as const, at: t.at, key: `t${i}`, t })),
    ];
    return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }, [loadedEvents, loadedChanges]);

  const back = `/w/${encodeURIComponent(ws)}/inbox${from ? `?${from}` : ''}`;
  if (q.isPending) return <Layout title="Group"><Loading rows={6} /></Layout>;
  if (q.isError || !g) return <Layout title="Group"><ErrorState error={q.error} retry={() => q.refetch()} /><Link to={back}>← Back to the inbox</Link></Layout>;

  // newest first: the latest event unless one is picked
  const event = loadedEvents.find((e) => e.id === selectedEvent) ?? loadedEvents[0];
  const routeNotify = event?.route && Array.isArray((event.route as { notify?: unknown }).notify) ? ((event.route as { notify: string[] }).notify) : null;
  const lines = event ? wordTrace(event.trace, event.decision, routeNotify) : [];
  const notes = loadedChanges.filter((t) => t.command === 'note');
  const busy = act.isPending || !canAct;

  return (
    <Layout title={<span className="row" style={{ gap: 8 }}><Link to={back} aria-label="Back to the inbox">Inbox</Link><span className="muted">/</span><span style={{ overflow: 'hidden', textOverflow: 'ellipsis' }}>{g.title}</span></span>}>
      <section className="card detail-head" aria-label="Group">
        <div className="row">
          <SeverityBadge severity={g.severity} />
          <span data-testid="group-status"><StatusBadge status={g.status} /></span>
          <span className="badge">{g.source}</span>
          {g.project && <span className="badge" style={{ textTransform: 'none' }}>{g.project}</span>}
          {g.environment && <span className="badge" style={{ textTransform: 'none' }}>{g.environment}</span>}
        </div>
        <h2 style={{ fontSize: 20, margin: 0 }}>{g.title}</h2>
        {g.message && <p className="muted" style={{ margin: 0 }}>{g.message}</p>}
        <div className="row small muted">
          <span><strong style={{ color: 'var(--text)' }}>{g.count.toLocaleString()}</strong> event{g.count === 1 ? '' : 's'}</span>·
          <span>first seen <Rel at={g.first_seen} /></span>·
          <span>last seen <Rel at={g.last_seen} /></span>
          {g.snoozed_until && g.status === 'snoozed' && <>·<span>snoozed until {absolute(g.snoozed_until)}</span></>}
          {g.reopen_count > 0 && <>·<span>reopened {g.reopen_count}×</span></>}
          {g.link && <>·<a href={g.link} target="_blank" rel="noreferrer">Open in {g.source} ↗</a></>}
          {g.source === 'monitor' && g.project && <>·<Link to={`/w/${encodeURIComponent(ws)}/fleet?q=${encodeURIComponent(g.project)}`}>{g.project} on the Fleet page</Link></>}
        </div>
        <div className="row" role="toolbar" aria-label="Actions">
          {g.status === 'open' && <button className="primary" disabled={busy} onClick={() => act.mutate({ command: 'ack' })}>Acknowledge</button>}
          {g.status === 'acknowledged' && <button disabled={busy} onClick={() => act.mutate({ command: 'unack' })}>Unacknowledge</button>}
          {g.status === 'snoozed' ? (
            <button disabled={busy} onClick={() => act.mutate({ command: 'unsnooze' })}>Unsnooze</button>
          ) : g.status !== 'resolved' && (
            <Popover label="Snooze ▾" buttonClass="" ariaLabel="Snooze">
              {(close) => (
                <>
                  {(['1h', '4h', 'tomorrow'] as const).map((p) => (
                    <button key={p} className="item" disabled={busy} onClick={() => { close(); act.mutate({ command: 'snooze', until: snoozeUntil(p) }); }}>
                      {p === '1h' ? 'For 1 hour' : p === '4h' ? 'For 4 hours' : 'Until tomorrow 09:00'}
                    </button>
                  ))}
                  <button className="item" onClick={() => { close(); setCustomOpen(true); }}>Custom…</button>
                </>
              )}
            </Popover>
          )}
          {g.status !== 'resolved' ? (
            <button disabled={busy} onClick={() => act.mutate({ command: 'resolve' })}>Resolve</button>
          ) : (
            <button disabled={busy} onClick={() => act.mutate({ command: 'reopen' })}>Reopen</button>
          )}
          {!canAct && <span className="muted small">Your role can read, not act.</span>}
        </div>
      </section>

      <div className="detail-grid">
        <div className="stack">
          <section className="card stack" aria-labelledby="why">
            <div className="row" style={{ justifyContent: 'space-between' }}>
              <h2 id="why" style={{ margin: 0 }}>Why was I (not) paged?</h2>
              <div className="row">
                {loadedEvents.length > 1 && (
                  <label className="row small muted">Event
                    <select value={event?.id ?? ''} onChange={(e) => setSelectedEvent(e.target.value)} aria-label="Event to explain">
                      {loadedEvents.map((e) => <option key={e.id} value={e.id}>{new Date(e.received_at).toLocaleString()} · {e.decision}</option>)}
                    </select>
                  </label>
                )}
                {event && <Link className="btn sm" to={`/w/${encodeURIComponent(ws)}/rules?event=${encodeURIComponent(event.id)}`} title="Load this event's stored payload into the rule tester">Test in rules</Link>}
              </div>
            </div>
            {event ? <TraceView lines={lines} /> : <EmptyState title="No events stored" />}
          </section>

          <section className="card" aria-labelledby="tl" style={{ paddingBottom: 8 }}>
            <div className="row" style={{ justifyContent: 'space-between' }}>
              <h2 id="tl" style={{ margin: 0 }}>Timeline</h2>
              <span className="small muted" data-testid="timeline-count">
                {loadedEvents.length.toLocaleString()} of {g.count.toLocaleString()} event{g.count === 1 ? '' : 's'} · {loadedChanges.length.toLocaleString()}{changes.hasNextPage ? '+' : ''} state change{loadedChanges.length === 1 ? '' : 's'}
              </span>
            </div>
            <ol className="timeline" data-testid="timeline">
              {items.map((it) => it.kind === 'event' ? (
                <li key={it.key}>
                  <span className="tl-dot event" aria-hidden="true" />
                  <div>
                    <div><strong>Event received</strong> <span className="muted">· {it.e.decision.replace('_', ' ')}</span> <SeverityBadge severity={it.e.severity} /></div>
                    <div className="small muted">{it.e.title}{it.e.source_event_id ? ` · id ${it.e.source_event_id}` : ''}</div>
                  </div>
                  <span className="small muted"><Rel at={it.at} /></span>
                </li>
              ) : (
                <li key={it.key}>
                  <span className={`tl-dot ${it.t.command === 'note' ? 'note' : 'status'}`} aria-hidden="true" />
                  <div>
                    <div><strong>{it.t.actor}</strong> <span className="muted">{wordCommand(it.t.command)}</span>
                      {it.t.from !== it.t.to && it.t.to && <> · <StatusBadge status={it.t.from} /> → <StatusBadge status={it.t.to} /></>}
                    </div>
                    {detailText(it.t) && <div className="small">{detailText(it.t)}</div>}
                  </div>
                  <span className="small muted"><Rel at={it.at} /></span>
                </li>
              ))}
            </ol>
            {(events.hasNextPage || changes.hasNextPage) && (
              <div className="load-more" data-testid="load-more">
                <span className="small muted">Newest first. Older items load on demand.</span>
                <div className="row">
                  {events.hasNextPage && (
                    <button className="sm" disabled={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
                      {events.isFetchingNextPage ? 'Loading…' : `Load ${Math.min(MORE, Math.max(0, g.count - loadedEvents.length)) || MORE} older events`}
                    </button>
                  )}
                  {changes.hasNextPage && (
                    <button className="sm" disabled={changes.isFetchingNextPage} onClick={() => void changes.fetchNextPage()}>
                      {changes.isFetchingNextPage ? 'Loading…' : 'Load older state changes'}
                    </button>
                  )}
                </div>
              </div>
            )}
            {(events.isError || changes.isError) && <ErrorState error={events.error ?? changes.error} />}
          </section>

          <section className="card pad0" aria-labelledby="dl">
            <div className="card-head"><h2 id="dl">Deliveries</h2></div>
            {deliveries.isPending ? <Loading rows={2} /> : deliveries.isError ? <ErrorState error={deliveries.error} /> : deliveries.data.deliveries.length === 0 ? (
              <EmptyState title="No notifications sent">The matched rules named no channel, or they were muted.</EmptyState>
            ) : (
              <div className="table-wrap"><table className="plain">
                <thead><tr><th>Channel</th><th>Kind</th><th>Status</th><th>Attempts</th><th>Created</th><th>Last</th></tr></thead>
                <tbody>{deliveries.data.deliveries.map((d) => (
                  <tr key={d.id}>
                    <td>{d.channel}{d.test ? <span className="badge" style={{ marginLeft: 6 }}>test</span> : null}</td>
                    <td>{d.notification}</td>
                    <td><span className={`badge ${d.status === 'sent' ? 'st-resolved' : d.status === 'failed' ? 'st-open' : 'st-snoozed'}`}>{d.status}</span></td>
                    <td>{d.attempts}</td>
                    <td><Rel at={d.created_at} /></td>
                    <td className="small">{d.attempt_log.length ? d.attempt_log.map((a, i) => <div key={i}>{a.outcome}{a.http_status ? ` ${a.http_status}` : ''} · {a.latency_ms} ms{a.error ? ` · ${a.error}` : ''}</div>) : d.last_error ?? <span className="muted">—</span>}</td>
                  </tr>
                ))}</tbody>
              </table></div>
            )}
          </section>
        </div>

        <aside className="stack" aria-label="Details">
          <section className="card stack">
            <h2 style={{ margin: 0 }}>Details</h2>
            <dl className="meta">
              <dt>Fingerprint</dt><dd className="mono">{g.fingerprint}</dd>
              <dt>First seen</dt><dd>{absolute(g.first_seen)}</dd>
              <dt>Last seen</dt><dd>{absolute(g.last_seen)}</dd>
              {g.acknowledged_at && <><dt>Acked</dt><dd>{absolute(g.acknowledged_at)}</dd></>}
              {g.resolved_at && <><dt>Resolved</dt><dd>{absolute(g.resolved_at)}</dd></>}
              {Object.entries(g.tags).slice(0, 12).map(([k, v]) => <Fragment key={k}><dt>{k}</dt><dd>{v}</dd></Fragment>)}
            </dl>
          </section>
          <AssigneeCard value={g.assignee} me={me.user?.email ?? null} disabled={busy} onSave={(user) => act.mutate({ command: 'assign', user })} />
          <RunbookCard value={g.runbook} disabled={busy} onSave={(url) => act.mutate({ command: 'runbook', url })} />
          <section className="card stack" aria-labelledby="notes">
            <h2 id="notes" style={{ margin: 0 }}>Notes</h2>
            {notes.length === 0 ? <span className="muted small">No notes yet.</span> : notes.map((n, i) => (
              <div key={i} className="small"><strong>{n.actor}</strong> <span className="muted"><Rel at={n.at} /></span><div>{detailText(n)}</div></div>
            ))}
            <NoteForm disabled={busy} onAdd={(text) => act.mutate({ command: 'note', text })} />
          </section>
          <section className="card stack" aria-labelledby="rel">
            <h2 id="rel" style={{ margin: 0 }}>Related</h2>
            {related.isPending ? <Loading rows={2} /> : related.isError ? <ErrorState error={related.error} /> : (() => {
              const list = related.data.groups.filter((x) => x.id !== g.id)
                .sort((a, b) => Number(b.fingerprint === g.fingerprint) - Number(a.fingerprint === g.fingerprint)).slice(0, 8);
              return list.length === 0 ? <span className="muted small">No related groups.</span> : (
                <ul style={{ listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: 6 }}>
                  {list.map((r) => (
                    <li key={r.id} className="row small" style={{ flexWrap: 'nowrap' }}>
                      <SeverityBadge severity={r.severity} />
                      <Link to={`/w/${encodeURIComponent(ws)}/groups/${r.id}`} style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{r.title}</Link>
                      {r.fingerprint === g.fingerprint && <span className="badge">same fingerprint</span>}
                    </li>
                  ))}
                </ul>
              );
            })()}
          </section>
        </aside>
      </div>
      <CustomSnooze open={customOpen} onClose={() => setCustomOpen(false)} onSnooze={(until) => { setCustomOpen(false); act.mutate({ command: 'snooze', until }); }} />
    </Layout>
  );
}

const ICON: Record<TraceLine['tone'], string> = { ok: '✓', warn: '!', bad: '✕', muted: '·' };

export function TraceView({ lines }: { lines: TraceLine[] }) {
  return (
    <div className="stack" data-testid="trace">
      <div className="summary">{pagedSummary(lines)}</div>
      <ul className="trace">
        {lines.map((l, i) => (
          <li key={i}>
            <span className={`icon tone-${l.tone}`} aria-hidden="true">{ICON[l.tone]}</span>
            <div><span>{l.text}</span>{l.detail && <div className="small muted" style={{ overflowWrap: 'anywhere' }}>{l.detail}</div>}</div>
          </li>
        ))}
      </ul>
    </div>
  );
}

function wordCommand(c: string): string {
  return ({ open: 'opened the group', ack: 'acknowledged', unack: 'unacknowledged', snooze: 'snoozed', unsnooze: 'unsnoozed', resolve: 'resolved', reopen: 'reopened', assign: 'assigned', note: 'added a note', runbook: 'linked a runbook', escalate: 'escalated', auto_close: 'auto-closed', escalation: 'escalated' } as Record<string, string>)[c] ?? c;
}

function detailText(t: GroupDetail['timeline'][number]): string | null {
  const d = t.detail as Record<string, unknown> | null | undefined;
  if (!d || typeof d !== 'object') return null;
  if (typeof d.text === 'string') return d.text;
  if ('user' in d) return d.user ? `to ${String(d.user)}` : 'unassigned';
  if (typeof d.until === 'string') return `until ${absolute(d.until)}`;
  if (typeof d.url === 'string') return d.url;
  if (typeof d.fingerprint === 'string') return null;
  const s = JSON.stringify(d);
  return s === '{}' ? null : s;
}

function AssigneeCard({ value, me, disabled, onSave }: { value: string | null; me: string | null; disabled: boolean; onSave: (u: string | null) => void }) {
  const [v, setV] = useState(value ?? '');
  return (
    <section className="card stack" aria-labelledby="asg">
      <h2 id="asg" style={{ margin: 0 }}>Assignee</h2>
      <form className="row" onSubmit={(e: FormEvent) => { e.preventDefault(); onSave(v.trim() || null); }}>
        <input type="text" aria-label="Assignee" value={v} onChange={(e) => setV(e.target.value)} placeholder="Unassigned" style={{ flex: 1 }} />
        <button type="submit" disabled={disabled}>Save</button>
      </form>
      <div className="row">
        {me && value !== me && <button className="sm" disabled={disabled} onClick={() => { setV(me); onSave(me); }}>Assign to me</button>}
        {value && <button className="sm ghost" disabled={disabled} onClick={() => { setV(''); onSave(null); }}>Unassign</button>}
      </div>
    </section>
  );
}

function RunbookCard({ value, disabled, onSave }: { value: string | null; disabled: boolean; onSave: (u: string) => void }) {
  const [v, setV] = useState(value ?? '');
  return (
    <section className="card stack" aria-labelledby="rb">
      <h2 id="rb" style={{ margin: 0 }}>Runbook</h2>
      {value && <a href={value} target="_blank" rel="noreferrer" style={{ overflowWrap: 'anywhere' }}>{value} ↗</a>}
      <form className="row" onSubmit={(e: FormEvent) => { e.preventDefault(); if (v.trim()) onSave(v.trim()); }}>
        <input type="url" aria-label="Runbook URL" value={v} onChange={(e) => setV(e.target.value)} placeholder="https://…" style={{ flex: 1 }} />
        <button type="submit" disabled={disabled}>Link</button>
      </form>
    </section>
  );
}

function NoteForm({ disabled, onAdd }: { disabled: boolean; onAdd: (t: string) => void }) {
  const [t, setT] = useState('');
  return (
    <form className="stack" style={{ gap: 6 }} onSubmit={(e) => { e.preventDefault(); if (t.trim()) { onAdd(t.trim()); setT(''); } }}>
      <textarea aria-label="New note" rows={2} value={t} onChange={(e) => setT(e.target.value)} placeholder="What did you find?" style={{ fontFamily: 'var(--font)', fontSize: 13 }} />
      <button type="submit" disabled={disabled || !t.trim()} style={{ alignSelf: 'flex-end' }}>Add note</button>
    </form>
  );
}

function CustomSnooze({ open, onClose, onSnooze }: { open: boolean; onClose: () => void; onSnooze: (until: string) => void }) {
  const [v, setV] = useState('');
  const [err, setErr] = useState<string | null>(null);
  return (
    <Modal title="Snooze until…" open={open} onClose={onClose}>
      <form className="stack" onSubmit={(e) => {
        e.preventDefault();
        const t = new Date(v);
        if (Number.isNaN(t.getTime()) || t.getTime() <= Date.now()) { setErr('Pick a time in the future'); return; }
        onSnooze(t.toISOString());
      }}>
        <Field label="Until (local time)" error={err}><input type="datetime-local" value={v} onChange={(e) => { setV(e.target.value); setErr(null); }} required /></Field>
        <div className="row" style={{ justifyContent: 'flex-end' }}><button type="button" onClick={onClose}>Cancel</button><button className="primary" type="submit">Snooze</button></div>
      </form>
    </Modal>
  );
}
