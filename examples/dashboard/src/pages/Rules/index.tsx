// Rules: the ordered list (priority, enable toggles, move to reorder), an editor with a form builder
// and a JSON tab (errors shown at the API's path), a three-column live test (sample | rules |
// what ingest would answer, with the trace) and a what-if replay of the edited rules. The test's
// payload is a bundled sample, pasted text, or a stored event's real delivery
// (`GET …/events/{id}`; `?event=ID` opens the page with one loaded).
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, call, errorText, type IngestOutcome, type ReplayReport, type Rule } from '../../api/client';
import { ConditionEditor, errorFor, type ErrorAt } from '../../components/ConditionEditor';
import { Layout } from '../../components/Layout';
import { useCan } from '../../components/session';
import { EmptyState, ErrorState, Field, Loading, Rel, SeverityBadge, useToast } from '../../components/ui';
import { describe } from '../../lib/conditions';
import { testable } from '../../lib/payload';
import { wordTrace } from '../../lib/trace';
import { TraceView } from '../Group';
import { freshIds, SAMPLES, type Sample } from './samples';

type R = Record<string, unknown>;
const asR = (r: Rule): R => r as R;

/** `v` after it has not changed for `ms`; the first non-null value at once. */
function useDebounced<T>(v: T, ms: number): T {
  const [d, setD] = useState(v);
  useEffect(() => {
    if (d === null && v !== null) { setD(v); return; }
    const t = setTimeout(() => setD(v), ms);
    return () => clearTimeout(t);
  }, [v, ms]); // eslint-disable-line react-hooks/exhaustive-deps
  return d;
}

export function Rules() {
  const { ws = '' } = useParams();
  const qc = useQueryClient();
  const toast = useToast();
  const canEdit = useCan(ws, 'admin');
  const stored = useQuery({ queryKey: ['rules', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/rules', { params: { path: { ws } } })) });
  const [draft, setDraft] = useState<R[] | null>(null);
  useEffect(() => { if (stored.data && draft === null) setDraft(stored.data.rules.map(asR)); }, [stored.data, draft]);
  const [sel, setSel] = useState(0);
  const [tab, setTab] = useState<'form' | 'json'>('form');
  const rules = draft ?? [];
  const dirty = !!stored.data && JSON.stringify(stored.data.rules) !== JSON.stringify(rules);

  // Validation as you type: the engine's own check, its error placed at its path.
  const debouncedDraft = useDebounced(draft, 350);
  const debounced = useMemo(() => debouncedDraft ?? [], [debouncedDraft]);
  const check = useQuery({
    queryKey: ['rules-check', ws, JSON.stringify(debounced)],
    enabled: debouncedDraft !== null && canEdit,
    queryFn: async () => {
      try {
        await call(api.POST('/api/workspaces/{ws}/rules/check', { params: { path: { ws } }, body: { rules: debounced } }));
        return null;
      } catch (e) {
        if (e instanceof ApiError && e.status === 400) return { path: e.path ?? '', message: e.message } satisfies ErrorAt;
        throw e;
      }
    },
    staleTime: Infinity,
  });
  const err = check.data ?? null;

  const save = useMutation({
    mutationFn: () => call(api.PUT('/api/workspaces/{ws}/rules', { params: { path: { ws } }, body: { rules } })),
    onSuccess: (r) => { toast(`Saved ${r.rules} rule${r.rules === 1 ? '' : 's'}`); qc.setQueryData(['rules', ws], { rules }); },
    onError: (e) => toast(errorText(e), true),
  });

  const update = (i: number, r: R) => setDraft(rules.map((x, j) => (j === i ? r : x)));
  const move = (i: number, d: number) => {
    const j = i + d;
    if (j < 0 || j >= rules.length) return;
    const next = [...rules];
    [next[i], next[j]] = [next[j]!, next[i]!];
    setDraft(next.map((r, k) => ({ ...r, priority: (k + 1) * 10 })));
    setSel(j);
  };
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const [dragOver, setDragOver] = useState<number | null>(null);
  /** Moves rule `from` to position `to` (drag and drop); priorities follow the new order. */
  const reorder = (from: number, to: number) => {
    if (from === to) return;
    const next = [...rules];
    const [r] = next.splice(from, 1);
    next.splice(to, 0, r!);
    setDraft(next.map((x, k) => ({ ...x, priority: (k + 1) * 10 })));
    setSel(to);
  };
  const add = () => {
    const id = `rule-${rules.length + 1}`;
    setDraft([...rules, { id, name: 'New rule', priority: (rules.length + 1) * 10, enabled: true, when: { field: 'severity', op: 'gte', value: 'error' }, then: { notify: [] } }]);
    setSel(rules.length);
  };

  if (stored.isPending) return <Layout title="Rules"><Loading rows={6} /></Layout>;
  if (stored.isError) return <Layout title="Rules"><ErrorState error={stored.error} retry={() => stored.refetch()} /></Layout>;
  const current = rules[sel];
  const errIndex = err ? /^rules\[(\d+)\]/.exec(err.path)?.[1] : undefined;

  return (
    <Layout
      title="Rules"
      actions={canEdit ? (
        <div className="row">
          {dirty && <span className="badge st-snoozed" style={{ textTransform: 'none' }}>Unsaved changes</span>}
          {dirty && <button onClick={() => setDraft(stored.data.rules.map(asR))}>Discard</button>}
          <button className="primary" disabled={!dirty || !!err || save.isPending} onClick={() => save.mutate()}>Save rules</button>
        </div>
      ) : <span className="muted small">Read only: editing rules needs admin.</span>}
    >
      {err && (
        <div className="card" role="alert" style={{ borderColor: 'var(--bad)', background: 'var(--bad-soft)' }} data-testid="rules-error">
          <strong className="tone-bad">The rules do not check:</strong> {err.message} <span className="mono">at {err.path}</span>
          {errIndex !== undefined && Number(errIndex) !== sel && <button className="sm" style={{ marginLeft: 8 }} onClick={() => setSel(Number(errIndex))}>Show rule</button>}
        </div>
      )}
      <div className="detail-grid" style={{ gridTemplateColumns: 'minmax(260px, 340px) minmax(0, 1fr)' }}>
        <section className="card pad0" aria-labelledby="rl">
          <div className="card-head"><h2 id="rl">Evaluation order</h2>{canEdit && <span className="small muted">drag or ↑↓ to reorder</span>}<div className="spacer" />{canEdit && <button className="sm" onClick={add}>+ Rule</button>}</div>
          {rules.length === 0 ? <EmptyState title="No rules">Alerts are stored; the default route decides who hears of them.</EmptyState> : (
            <ul className="rule-list">
              {rules.map((r, i) => (
                <li key={i} className={`${i === sel ? 'active' : ''} ${dragOver === i ? 'drop' : ''}`} draggable={canEdit}
                  onDragStart={(e) => { setDragFrom(i); e.dataTransfer.effectAllowed = 'move'; }}
                  onDragOver={(e) => { if (dragFrom !== null) { e.preventDefault(); setDragOver(i); } }}
                  onDragLeave={() => setDragOver(null)}
                  onDrop={(e) => { e.preventDefault(); if (dragFrom !== null) reorder(dragFrom, i); setDragFrom(null); setDragOver(null); }}
                  onDragEnd={() => { setDragFrom(null); setDragOver(null); }}>
                  <input type="checkbox" aria-label={`Enable ${String(r.id)}`} checked={r.enabled !== false} disabled={!canEdit} onChange={(e) => update(i, { ...r, enabled: e.target.checked })} />
                  <button className="ghost grow" style={{ justifyContent: 'flex-start', height: 'auto', padding: '2px 4px', flexDirection: 'column', alignItems: 'flex-start', whiteSpace: 'normal', textAlign: 'left' }} onClick={() => setSel(i)} aria-current={i === sel}>
                    <span style={{ fontWeight: 600 }}>{String(r.name ?? r.id)}</span>
                    <span className="small muted">{String(r.id)} · priority {String(r.priority ?? '—')} · {describe(r.when)}</span>
                  </button>
                  {canEdit && <span className="row" style={{ gap: 0, flexWrap: 'nowrap' }}>
                    <button className="ghost sm" aria-label={`Move ${String(r.id)} up`} disabled={i === 0} onClick={() => move(i, -1)}>↑</button>
                    <button className="ghost sm" aria-label={`Move ${String(r.id)} down`} disabled={i === rules.length - 1} onClick={() => move(i, 1)}>↓</button>
                  </span>}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card stack" aria-labelledby="ed">
          <div className="row" style={{ justifyContent: 'space-between' }}>
            <h2 id="ed" style={{ margin: 0 }}>{current ? `Edit “${String(current.id)}”` : 'Editor'}</h2>
            <div className="tabs" role="tablist" aria-label="Editor">
              <button role="tab" aria-selected={tab === 'form'} onClick={() => setTab('form')}>Form</button>
              <button role="tab" aria-selected={tab === 'json'} onClick={() => setTab('json')}>JSON</button>
            </div>
          </div>
          {tab === 'json' ? <JsonTab rules={rules} onChange={setDraft} err={err} disabled={!canEdit} /> : current ? (
            <RuleForm rule={current} index={sel} err={err} onChange={(r) => update(sel, r)} onDelete={() => { setDraft(rules.filter((_, j) => j !== sel)); setSel(Math.max(0, sel - 1)); }} disabled={!canEdit} />
          ) : <EmptyState title="No rule selected" action={canEdit ? <button onClick={add}>Add a rule</button> : undefined} />}
        </section>
      </div>
      <TestPanel ws={ws} rules={debounced} canTest={canEdit} ready={debouncedDraft !== null} invalid={!!err} />
      <WhatIf ws={ws} rules={rules} canTest={canEdit} disabled={!!err} />
    </Layout>
  );
}

function list(v: unknown): string { return Array.isArray(v) ? v.join(', ') : ''; }
function toList(s: string): string[] { return s.split(',').map((x) => x.trim()).filter(Boolean); }

function RuleForm({ rule, index, err, onChange, onDelete, disabled }: { rule: R; index: number; err: ErrorAt | null; onChange: (r: R) => void; onDelete: () => void; disabled: boolean }) {
  const p = `rules[${index}]`;
  const then = (rule.then && typeof rule.then === 'object' ? rule.then : {}) as R;
  const setThen = (patch: R) => onChange({ ...rule, then: { ...then, ...patch } });
  const e = (k: string) => errorFor(err, `${p}.${k}`);
  return (
    <fieldset disabled={disabled} className="stack" style={{ border: 0, padding: 0, margin: 0 }}>
      <div className="grid-2" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(160px, 1fr))', gap: 12 }}>
        <Field label="Id" error={e('id')}><input type="text" value={String(rule.id ?? '')} onChange={(x) => onChange({ ...rule, id: x.target.value })} /></Field>
        <Field label="Name" error={e('name')}><input type="text" value={String(rule.name ?? '')} onChange={(x) => onChange({ ...rule, name: x.target.value })} /></Field>
        <Field label="Priority" error={e('priority')}><input type="number" value={String(rule.priority ?? '')} onChange={(x) => onChange({ ...rule, priority: x.target.value === '' ? undefined : Number(x.target.value) })} /></Field>
      </div>
      <div className="row">
        <label className="check"><input type="checkbox" checked={rule.enabled !== false} onChange={(x) => onChange({ ...rule, enabled: x.target.checked })} />Enabled</label>
        <label className="check"><input type="checkbox" checked={rule.continue === true} onChange={(x) => onChange({ ...rule, continue: x.target.checked })} />Continue to later rules after a match</label>
      </div>
      <h3 style={{ marginBottom: 0 }}>When</h3>
      <ConditionEditor value={rule.when} onChange={(w) => onChange({ ...rule, when: w })} path={`${p}.when`} error={err} />
      <h3 style={{ marginBottom: 0 }}>Then</h3>
      <div className="grid-2" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(200px, 1fr))', gap: 12 }}>
        <Field label="Notify channels" hint="comma-separated channel names" error={e('then.notify')}><input type="text" value={list(then.notify)} onChange={(x) => setThen({ notify: toList(x.target.value) })} /></Field>
        <Field label="Mention" hint="comma-separated" error={e('then.mention')}><input type="text" value={list(then.mention)} onChange={(x) => setThen({ mention: toList(x.target.value) })} /></Field>
        <Field label="Escalation policy" error={e('then.escalation')}><input type="text" value={String(then.escalation ?? '')} onChange={(x) => setThen({ escalation: x.target.value || undefined })} /></Field>
        <Field label="Set severity" error={e('then.set_severity')}>
          <select value={String(then.set_severity ?? '')} onChange={(x) => setThen({ set_severity: x.target.value || undefined })}>
            <option value="">unchanged</option>
            {['critical', 'error', 'warning', 'info', 'debug'].map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </Field>
        <Field label="Suppress notifications" error={e('then.suppress')}>
          <select value={then.suppress === true ? 'yes' : 'no'} onChange={(x) => setThen({ suppress: x.target.value === 'yes' ? true : undefined })}>
            <option value="no">no</option><option value="yes">yes (mute matches)</option>
          </select>
        </Field>
        <Field label="Group wait (seconds)" error={e('then.group_wait_secs')}><input type="number" value={String(then.group_wait_secs ?? '')} onChange={(x) => setThen({ group_wait_secs: x.target.value === '' ? undefined : Number(x.target.value) })} /></Field>
      </div>
      {errorFor(err, `${p}.then`, true) && <span className="field-error" role="alert">{errorFor(err, `${p}.then`, true)}</span>}
      {errorFor(err, p, true) && <span className="field-error" role="alert">{errorFor(err, p, true)}</span>}
      <div><button className="danger sm" onClick={onDelete}>Delete rule</button></div>
    </fieldset>
  );
}

function JsonTab({ rules, onChange, err, disabled }: { rules: R[]; onChange: (r: R[]) => void; err: ErrorAt | null; disabled: boolean }) {
  const [text, setText] = useState(() => JSON.stringify(rules, null, 2));
  const [parseErr, setParseErr] = useState<string | null>(null);
  useEffect(() => {
    try { if (JSON.stringify(JSON.parse(text)) === JSON.stringify(rules)) return; } catch { return; }
    setText(JSON.stringify(rules, null, 2));
  }, [rules]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className="stack">
      <textarea aria-label="Rules as JSON" rows={18} value={text} disabled={disabled} className={parseErr || err ? 'invalid' : ''} spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const v = JSON.parse(e.target.value);
            if (!Array.isArray(v)) { setParseErr('The rule set is a JSON list of rules'); return; }
            setParseErr(null);
            onChange(v as R[]);
          } catch (x) { setParseErr(`Not valid JSON: ${x instanceof Error ? x.message : String(x)}`); }
        }} />
      {parseErr && <span className="field-error" role="alert">{parseErr}</span>}
      {!parseErr && err && <span className="field-error" role="alert">{err.message} <span className="mono">at {err.path}</span></span>}
    </div>
  );
}

type Source = Sample['source'];

/** Where the tester's payload came from, when it is a stored event. */
interface Origin { id: string; groupId: string | null; source: string; receivedAt: string; title: string; dropped: string[] }

function TestPanel({ ws, rules, canTest, ready, invalid }: { ws: string; rules: R[]; canTest: boolean; ready: boolean; invalid: boolean }) {
  const [params, setParams] = useSearchParams();
  const eventParam = params.get('event');
  const [pick, setPick] = useState(eventParam ? `e:${eventParam}` : 's:0');
  const first = SAMPLES[0]!;
  const [body, setBody] = useState(() => (eventParam ? '' : freshIds(first.body)));
  const [source, setSource] = useState<Source>(first.source);
  const [headers, setHeaders] = useState<Record<string, string>>(first.headers);
  const [origin, setOrigin] = useState<Origin | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadErr, setLoadErr] = useState<string | null>(null);
  const dBody = useDebounced(body, 400);
  const recent = useQuery({
    queryKey: ['groups', ws, 'tester-recent'],
    enabled: canTest,
    queryFn: () => call(api.GET('/api/workspaces/{ws}/groups', { params: { path: { ws }, query: { status: 'open,acknowledged,snoozed,resolved', limit: 15 } as never } })),
    staleTime: 30_000,
  });

  /** Loads a stored event's raw delivery into the editor (ids fresh, so it is not a known duplicate). */
  async function loadEvent(eventId: string) {
    setLoading(true);
    setLoadErr(null);
    try {
      const e = await call(api.GET('/api/workspaces/{ws}/events/{id}', { params: { path: { ws, id: eventId } } }));
      const t = testable(e);
      if (!t.ok) { setLoadErr(t.reason); setOrigin(null); return; }
      setSource(t.source as Source);
      setBody(t.body);
      setHeaders(t.headers);
      setOrigin({ id: e.id, groupId: e.group_id, source: e.source, receivedAt: e.received_at, title: String((e.alert as R).title ?? ''), dropped: t.dropped });
    } catch (x) {
      setLoadErr(x instanceof ApiError ? `${x.message}` : String(x));
    } finally {
      setLoading(false);
    }
  }

  /** A group's newest event. */
  async function loadGroup(groupId: string) {
    setLoading(true);
    try {
      const page = await call(api.GET('/api/workspaces/{ws}/groups/{id}/events', { params: { path: { ws, id: groupId }, query: { limit: 1 } } }));
      const e = page.items[0];
      if (!e) { setLoadErr('That group has no stored event.'); setLoading(false); return; }
      await loadEvent(e.id);
    } catch (x) {
      setLoadErr(x instanceof ApiError ? x.message : String(x));
      setLoading(false);
    }
  }

  useEffect(() => { if (eventParam && canTest) void loadEvent(eventParam); }, [eventParam, canTest]); // eslint-disable-line react-hooks/exhaustive-deps

  function choose(value: string) {
    setPick(value);
    setLoadErr(null);
    if (value.startsWith('s:')) {
      const x = SAMPLES[Number(value.slice(2))]!;
      setSource(x.source);
      setBody(freshIds(x.body));
      setHeaders(x.headers);
      setOrigin(null);
      if (eventParam) setParams((p) => { p.delete('event'); return p; }, { replace: true });
    } else if (value.startsWith('g:')) {
      void loadGroup(value.slice(2));
    }
  }

  const test = useQuery({
    queryKey: ['rules-test', ws, source, dBody, JSON.stringify(headers), JSON.stringify(rules)],
    enabled: canTest && ready && !invalid && dBody !== '',
    queryFn: () => call(api.POST('/api/workspaces/{ws}/rules/test', {
      params: { path: { ws } },
      body: { source, body: dBody, headers, rules },
    })),
    retry: false,
    staleTime: Infinity,
    placeholderData: (prev) => prev,
  });
  const groups = recent.data?.groups ?? [];
  return (
    <section className="card stack" aria-labelledby="tt">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 id="tt" style={{ margin: 0 }}>Test the edited rules</h2>
        <span className="small muted">A dry run: nothing is stored, nothing is sent.</span>
      </div>
      {!canTest ? <span className="muted">Testing rules needs admin.</span> : (
        <div className="three" data-testid="three-column">
          <div className="stack" style={{ gap: 8 }}>
            <h3>1 · Payload</h3>
            <div className="row">
              <select aria-label="Sample payload" value={pick} onChange={(e) => choose(e.target.value)} style={{ maxWidth: '100%' }}>
                <optgroup label="Built-in samples">
                  {SAMPLES.map((x, i) => <option key={i} value={`s:${i}`}>{x.label}</option>)}
                </optgroup>
                {pick.startsWith('e:') && <option value={pick}>Stored event {pick.slice(2)}</option>}
                {groups.length > 0 && (
                  <optgroup label="Latest event of a recent group">
                    {groups.map((g) => <option key={g.id} value={`g:${g.id}`}>{g.source} · {g.title.length > 60 ? `${g.title.slice(0, 57)}…` : g.title}</option>)}
                  </optgroup>
                )}
              </select>
              <button className="sm" onClick={() => setBody(freshIds(body))} title="Give the payload's ids new values so it is not a known duplicate">New ids</button>
            </div>
            {loading && <span className="small muted" role="status">Loading the stored payload…</span>}
            {loadErr && <span className="field-error" role="alert">{loadErr}</span>}
            {origin && !loading && (
              <div className="origin" data-testid="payload-origin">
                <div className="row" style={{ gap: 6 }}>
                  <span className="badge">stored event</span>
                  <span className="badge">{origin.source}</span>
                  <span className="small muted">received <Rel at={origin.receivedAt} /></span>
                </div>
                <div className="small" style={{ overflowWrap: 'anywhere' }}>
                  {origin.groupId ? <Link to={`/w/${encodeURIComponent(ws)}/groups/${origin.groupId}`}>{origin.title || origin.id}</Link> : (origin.title || origin.id)}
                </div>
                <div className="small muted">The delivery as received{origin.dropped.length ? `, without ${origin.dropped.join(', ')}` : ''}; ids made fresh so the dry run is not a known duplicate.</div>
              </div>
            )}
            <textarea aria-label="Payload" rows={16} value={body} onChange={(e) => setBody(e.target.value)} spellCheck={false} />
          </div>
          <div className="stack" style={{ gap: 8 }}>
            <h3>2 · Rules</h3>
            {rules.length === 0 ? <span className="muted small">No rules: the default route applies.</span> : (
              <ol style={{ margin: 0, paddingLeft: 18, display: 'flex', flexDirection: 'column', gap: 6 }}>
                {rules.map((r, i) => (
                  <li key={i}><strong>{String(r.id)}</strong>{r.enabled === false ? <span className="muted"> (disabled)</span> : null}<div className="small muted">{describe(r.when)} → {list((r.then as R | undefined)?.notify) || 'no channel'}</div></li>
                ))}
              </ol>
            )}
          </div>
          <div className="stack" style={{ gap: 8 }} data-testid="test-answer" aria-live="polite">
            <h3>3 · What ingest would answer {test.isFetching && <span className="muted small">…</span>}</h3>
            {invalid ? <span className="muted">Fix the rules above to see what ingest would answer.</span> : test.isError ? <ErrorState error={test.error} /> : !test.data ? <Loading rows={3} /> : <Outcome o={test.data} />}
          </div>
        </div>
      )}
    </section>
  );
}

function Outcome({ o }: { o: IngestOutcome }) {
  return (
    <div className="stack" style={{ gap: 10 }}>
      <div className="row"><span className={`badge ${o.outcome === 'accepted' ? 'st-resolved' : 'st-snoozed'}`}>{o.outcome}</span><span className="small muted">{o.source}{o.reason ? ` · ${o.reason}` : ''}</span></div>
      {(o.notes ?? []).map((n, i) => <div key={i} className="small muted">{n}</div>)}
      {o.alerts.map((a, i) => (
        <div key={i} className="stack" style={{ gap: 6, borderTop: i ? '1px solid var(--border)' : undefined, paddingTop: i ? 8 : 0 }}>
          <div className="row"><SeverityBadge severity={a.severity} /><strong style={{ overflowWrap: 'anywhere' }}>{a.title}</strong></div>
          <div className="small">Notify: <strong>{a.route?.notify.length ? a.route.notify.join(', ') : 'nobody'}</strong>{a.route?.suppressed_by ? ` · suppressed by ${a.route.suppressed_by}` : ''}</div>
          <TraceView lines={wordTrace(a.trace, a.decision, a.route?.notify ?? null)} />
        </div>
      ))}
    </div>
  );
}

function WhatIf({ ws, rules, canTest, disabled }: { ws: string; rules: R[]; canTest: boolean; disabled: boolean }) {
  const [win, setWin] = useState<'24h' | '7d'>('24h');
  const replay = useMutation({
    mutationFn: () => call(api.POST('/api/workspaces/{ws}/rules/replay', {
      params: { path: { ws } },
      body: { rules, since: new Date(Date.now() - (win === '24h' ? 86400_000 : 7 * 86400_000)).toISOString() },
    })),
  });
  const r: ReplayReport | undefined = replay.data;
  const channels = useMemo(() => (r ? Object.entries(r.per_channel) : []), [r]);
  return (
    <section className="card stack" aria-labelledby="wi">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 id="wi" style={{ margin: 0 }}>What if: replay the edited rules</h2>
        <div className="row">
          <select aria-label="Replay window" value={win} onChange={(e) => setWin(e.target.value as '24h')}><option value="24h">over the last 24 h</option><option value="7d">over the last 7 days</option></select>
          <button className="primary" disabled={!canTest || disabled || replay.isPending} onClick={() => replay.mutate()}>{replay.isPending ? 'Replaying…' : 'Replay'}</button>
        </div>
      </div>
      {replay.isError && <ErrorState error={replay.error} />}
      {!r ? <span className="muted small">See which notifications the edited rules would have gained or lost on the stored events, before you save.</span> : (
        <div className="stack" data-testid="whatif">
          <div className="small muted">{r.events.toLocaleString()} events replayed · {r.changed.length} would route differently</div>
          <div className="table-wrap"><table className="plain">
            <thead><tr><th>Channel</th><th className="num">Before</th><th className="num">After</th><th className="num">Gained</th><th className="num">Lost</th></tr></thead>
            <tbody>{channels.length === 0 ? <tr><td colSpan={5} className="muted">No channel notified before or after.</td></tr> : channels.map(([name, c]) => (
              <tr key={name}><td>{name}</td><td className="num">{c.before}</td><td className="num">{c.after}</td><td className="num diff-gain">{c.gained ? `+${c.gained}` : 0}</td><td className="num diff-loss">{c.lost ? `−${c.lost}` : 0}</td></tr>
            ))}</tbody>
          </table></div>
          <div className="table-wrap"><table className="plain">
            <thead><tr><th>Rule</th><th className="num">Matched before</th><th className="num">After</th></tr></thead>
            <tbody>{Object.entries(r.per_rule).map(([id, c]) => <tr key={id}><td className="mono">{id}</td><td className="num">{c.before}</td><td className="num">{c.after}</td></tr>)}</tbody>
          </table></div>
          {r.changed.length > 0 && (
            <details>
              <summary>Changed events ({r.changed.length})</summary>
              <table className="plain"><thead><tr><th>Event</th><th>Before</th><th>After</th></tr></thead><tbody>
                {r.changed.slice(0, 50).map((c) => <tr key={c.event_id}><td className="mono">{c.event_id}</td><td>{c.before.notify.join(', ') || 'nobody'}</td><td>{c.after.notify.join(', ') || 'nobody'}</td></tr>)}
              </tbody></table>
            </details>
          )}
        </div>
      )}
    </section>
  );
}
