// Settings: the workspace's settings (dedup, reopen window, auto-close, retention, default route,
// ingest), escalation policies (a steps editor), members and roles, API tokens.
import { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, errorText, type EscalationPolicy, type Settings as S } from '../../api/client';
import { Layout } from '../../components/Layout';
import { useCan, useSession } from '../../components/session';
import { CopyButton, EmptyState, ErrorState, Field, Loading, Rel, useToast } from '../../components/ui';

const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
type Role = (typeof ROLES)[number];

export function Settings() {
  const { ws = '' } = useParams();
  const admin = useCan(ws, 'admin');
  const owner = useCan(ws, 'owner');
  return (
    <Layout title="Settings">
      {admin ? <WorkspaceSettings ws={ws} /> : <div className="card muted">Workspace settings need admin.</div>}
      {admin && <Escalations ws={ws} />}
      {owner ? <><Members ws={ws} /><Tokens ws={ws} /></> : <div className="card muted">Members and API tokens are managed by owners.</div>}
    </Layout>
  );
}

function WorkspaceSettings({ ws }: { ws: string }) {
  const qc = useQueryClient();
  const toast = useToast();
  const q = useQuery({ queryKey: ['settings', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/settings', { params: { path: { ws } } })) });
  const [f, setF] = useState<S | null>(null);
  const [route, setRoute] = useState('');
  const [err, setErr] = useState<{ path: string | null; message: string } | null>(null);
  useEffect(() => { if (q.data) { setF(q.data); setRoute(q.data.default_route ? JSON.stringify(q.data.default_route, null, 2) : ''); } }, [q.data]);
  const save = useMutation({
    mutationFn: () => {
      let default_route: S['default_route'] = null;
      if (route.trim()) default_route = JSON.parse(route) as S['default_route'];
      return call(api.PATCH('/api/workspaces/{ws}/settings', { params: { path: { ws } }, body: { ...f!, default_route } as never }));
    },
    onSuccess: (s) => { toast('Settings saved'); qc.setQueryData(['settings', ws], s); setErr(null); },
    onError: (e) => setErr({ path: (e as { path?: string | null }).path ?? null, message: errorText(e) }),
  });
  if (q.isPending || !f) return <section className="card"><Loading rows={4} /></section>;
  if (q.isError) return <ErrorState error={q.error} retry={() => q.refetch()} />;
  const at = (p: string) => (err?.path === p ? err.message : null);
  const num = (v: string) => (v === '' ? 0 : Math.max(0, Math.floor(Number(v))));
  return (
    <section className="card stack" aria-labelledby="ws-s">
      <h2 id="ws-s" style={{ margin: 0 }}>Workspace</h2>
      <div className="grid-2" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(200px, 1fr))', gap: 12 }}>
        <Field label="Dedup window" error={at('dedup.window')}>
          <select value={f.dedup.window} onChange={(e) => setF({ ...f, dedup: { ...f.dedup, window: e.target.value as S['dedup']['window'] } })}>
            <option value="rolling">rolling</option><option value="fixed">fixed</option><option value="until_resolved">until resolved</option>
          </select>
        </Field>
        <Field label="Dedup window (seconds)" error={at('dedup.window_secs')}><input type="number" min={0} value={f.dedup.window_secs} onChange={(e) => setF({ ...f, dedup: { ...f.dedup, window_secs: num(e.target.value) } })} /></Field>
        <Field label="Reopen window (seconds)" error={at('dedup.reopen_window_secs')}><input type="number" min={0} value={f.dedup.reopen_window_secs} onChange={(e) => setF({ ...f, dedup: { ...f.dedup, reopen_window_secs: num(e.target.value) } })} /></Field>
        <Field label="Auto-close after (minutes)" hint="0 turns it off" error={at('hygiene.auto_close_after_mins')}><input type="number" min={0} value={f.hygiene.auto_close_after_mins} onChange={(e) => setF({ ...f, hygiene: { ...f.hygiene, auto_close_after_mins: num(e.target.value) } })} /></Field>
        <Field label="Retention (days)" hint="0 keeps everything" error={at('hygiene.retention_days')}><input type="number" min={0} value={f.hygiene.retention_days} onChange={(e) => setF({ ...f, hygiene: { ...f.hygiene, retention_days: num(e.target.value) } })} /></Field>
        <Field label="Ingest rate limit (per minute)" error={at('ingest_rate_limit.per_min')}><input type="number" min={1} value={f.ingest_rate_limit.per_min} onChange={(e) => setF({ ...f, ingest_rate_limit: { ...f.ingest_rate_limit, per_min: num(e.target.value) } })} /></Field>
        <Field label="Burst" error={at('ingest_rate_limit.burst')}><input type="number" min={1} value={f.ingest_rate_limit.burst} onChange={(e) => setF({ ...f, ingest_rate_limit: { ...f.ingest_rate_limit, burst: num(e.target.value) } })} /></Field>
      </div>
      <label className="check"><input type="checkbox" checked={f.allow_unauthenticated_ingest} onChange={(e) => setF({ ...f, allow_unauthenticated_ingest: e.target.checked })} />Accept webhooks without a key or signature (local experiments only)</label>
      <Field label="Default route (JSON, a rule's “then”; empty: store without notifying)" error={at('default_route') ?? (err && err.path?.startsWith('default_route') ? err.message : null)}>
        <textarea rows={3} value={route} onChange={(e) => setRoute(e.target.value)} placeholder='{"notify": ["oncall"]}' spellCheck={false} />
      </Field>
      {err && !err.path && <span className="field-error" role="alert">{err.message}</span>}
      <div><button className="primary" disabled={save.isPending} onClick={() => { try { if (route.trim()) JSON.parse(route); save.mutate(); } catch { setErr({ path: 'default_route', message: 'not valid JSON' }); } }}>Save settings</button></div>
    </section>
  );
}

type Step = { after_mins: number; notify: string[]; mention: string[] };

function Escalations({ ws }: { ws: string }) {
  const qc = useQueryClient();
  const toast = useToast();
  const q = useQuery({ queryKey: ['escalations', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/escalations', { params: { path: { ws } } })) });
  const [editing, setEditing] = useState<{ name: string; steps: Step[]; repeat: number; isNew: boolean } | null>(null);
  const [err, setErr] = useState<{ path: string | null; message: string } | null>(null);
  const put = useMutation({
    mutationFn: (e: { name: string; steps: Step[]; repeat: number }) => call(api.PUT('/api/workspaces/{ws}/escalations/{name}', { params: { path: { ws, name: e.name } }, body: { steps: e.steps, repeat: e.repeat } })),
    onSuccess: () => { toast('Escalation policy saved'); setEditing(null); setErr(null); void qc.invalidateQueries({ queryKey: ['escalations', ws] }); },
    onError: (e) => setErr({ path: (e as { path?: string | null }).path ?? null, message: errorText(e) }),
  });
  const del = useMutation({
    mutationFn: (name: string) => call(api.DELETE('/api/workspaces/{ws}/escalations/{name}', { params: { path: { ws, name } } })),
    onSuccess: () => { toast('Escalation policy deleted'); void qc.invalidateQueries({ queryKey: ['escalations', ws] }); },
    onError: (e) => toast(errorText(e), true),
  });
  const policies = Object.entries(q.data?.policies ?? {}) as [string, EscalationPolicy][];
  return (
    <section className="card stack" aria-labelledby="esc">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 id="esc" style={{ margin: 0 }}>Escalation policies</h2>
        <button className="sm" onClick={() => setEditing({ name: '', steps: [{ after_mins: 15, notify: [], mention: [] }], repeat: 0, isNew: true })}>+ Policy</button>
      </div>
      {q.isPending ? <Loading rows={2} /> : q.isError ? <ErrorState error={q.error} /> : policies.length === 0 && !editing ? <EmptyState title="No escalation policies">Re-notify, or notify someone else, when nobody acknowledges in time.</EmptyState> : (
        <ul style={{ listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: 8 }}>
          {policies.map(([name, p]) => (
            <li key={name} className="row" style={{ justifyContent: 'space-between', borderBottom: '1px solid var(--border)', paddingBottom: 8 }}>
              <div><strong>{name}</strong><div className="small muted">{p.steps.map((s) => `after ${s.after_mins} min → ${s.notify.join(', ') || 'nobody'}${s.mention.length ? ` (@${s.mention.join(', @')})` : ''}`).join(' · ')}{p.repeat ? ` · repeat ${p.repeat}×` : ''}</div></div>
              <div className="row"><button className="sm" onClick={() => setEditing({ name, steps: p.steps.map((s) => ({ ...s })), repeat: p.repeat, isNew: false })}>Edit</button><button className="sm danger" onClick={() => del.mutate(name)}>Delete</button></div>
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <div className="card stack" style={{ background: 'var(--panel-2)' }}>
          <Field label="Name"><input type="text" value={editing.name} disabled={!editing.isNew} onChange={(e) => setEditing({ ...editing, name: e.target.value })} /></Field>
          {editing.steps.map((s, i) => (
            <div key={i} className="row" style={{ alignItems: 'flex-end' }}>
              <Field label={`Step ${i + 1}: after (minutes)`} error={err?.path === `steps[${i}].after_mins` ? err.message : null}><input type="number" min={0} value={s.after_mins} style={{ width: 110 }} onChange={(e) => setEditing({ ...editing, steps: editing.steps.map((x, j) => (j === i ? { ...x, after_mins: Number(e.target.value) } : x)) })} /></Field>
              <Field label="Notify" error={err?.path?.startsWith(`steps[${i}].notify`) ? err.message : null}><input type="text" value={s.notify.join(', ')} onChange={(e) => setEditing({ ...editing, steps: editing.steps.map((x, j) => (j === i ? { ...x, notify: e.target.value.split(',').map((v) => v.trim()).filter(Boolean) } : x)) })} /></Field>
              <Field label="Mention"><input type="text" value={s.mention.join(', ')} onChange={(e) => setEditing({ ...editing, steps: editing.steps.map((x, j) => (j === i ? { ...x, mention: e.target.value.split(',').map((v) => v.trim()).filter(Boolean) } : x)) })} /></Field>
              <button className="ghost sm" aria-label={`Remove step ${i + 1}`} onClick={() => setEditing({ ...editing, steps: editing.steps.filter((_, j) => j !== i) })}>✕</button>
            </div>
          ))}
          <div className="row">
            <button className="sm" onClick={() => setEditing({ ...editing, steps: [...editing.steps, { after_mins: (editing.steps.at(-1)?.after_mins ?? 0) + 30, notify: [], mention: [] }] })}>+ Step</button>
            <Field label="Repeat"><input type="number" min={0} value={editing.repeat} style={{ width: 80 }} onChange={(e) => setEditing({ ...editing, repeat: Number(e.target.value) })} /></Field>
          </div>
          {err && !err.path?.startsWith('steps[') && <span className="field-error" role="alert">{err.message}</span>}
          <div className="row"><button onClick={() => { setEditing(null); setErr(null); }}>Cancel</button><button className="primary" disabled={!editing.name || put.isPending} onClick={() => put.mutate(editing)}>Save policy</button></div>
        </div>
      )}
    </section>
  );
}

function Members({ ws }: { ws: string }) {
  const qc = useQueryClient();
  const toast = useToast();
  const { me } = useSession();
  const q = useQuery({ queryKey: ['members', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/members', { params: { path: { ws } } })) });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const set = useMutation({
    mutationFn: (m: { email: string; role: Role }) => call(api.PUT('/api/workspaces/{ws}/members/{email}', { params: { path: { ws, email: m.email } }, body: { role: m.role } })),
    onSuccess: (m) => { toast(`${m.email} is ${m.role}`); setEmail(''); void qc.invalidateQueries({ queryKey: ['members', ws] }); },
    onError: (e) => toast(errorText(e), true),
  });
  const remove = useMutation({
    mutationFn: (e: string) => call(api.DELETE('/api/workspaces/{ws}/members/{email}', { params: { path: { ws, email: e } } })),
    onSuccess: () => { toast('Member removed'); void qc.invalidateQueries({ queryKey: ['members', ws] }); },
    onError: (e) => toast(errorText(e), true),
  });
  return (
    <section className="card pad0" aria-labelledby="mem">
      <div className="card-head"><h2 id="mem">Members</h2></div>
      {q.isPending ? <Loading rows={2} /> : q.isError ? <ErrorState error={q.error} /> : (
        <div className="table-wrap"><table className="plain">
          <thead><tr><th>Member</th><th>Role</th><th /></tr></thead>
          <tbody>{q.data.members.map((m) => (
            <tr key={m.user_id}>
              <td><strong>{m.name ?? m.email}</strong>{m.name && <div className="small muted">{m.email}</div>}</td>
              <td><select aria-label={`Role of ${m.email}`} value={m.role} disabled={m.email === me.user?.email} onChange={(e) => set.mutate({ email: m.email, role: e.target.value as Role })}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select></td>
              <td>{m.email !== me.user?.email && <button className="sm danger" onClick={() => remove.mutate(m.email)}>Remove</button>}</td>
            </tr>
          ))}</tbody>
        </table></div>
      )}
      <form className="row" style={{ padding: 16, borderTop: '1px solid var(--border)' }} onSubmit={(e) => { e.preventDefault(); if (email) set.mutate({ email, role }); }}>
        <input type="email" aria-label="Email of a user to add" placeholder="teammate@example.com" value={email} onChange={(e) => setEmail(e.target.value)} style={{ flex: 1, minWidth: 200 }} />
        <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select>
        <button type="submit">Add member</button>
      </form>
    </section>
  );
}

function Tokens({ ws }: { ws: string }) {
  const qc = useQueryClient();
  const toast = useToast();
  const q = useQuery({ queryKey: ['tokens', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/tokens', { params: { path: { ws } } })) });
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [shown, setShown] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => call(api.POST('/api/workspaces/{ws}/tokens', { params: { path: { ws } }, body: { role, name: name || null } })),
    onSuccess: (t) => { setShown(t.token); setName(''); void qc.invalidateQueries({ queryKey: ['tokens', ws] }); },
    onError: (e) => toast(errorText(e), true),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/workspaces/{ws}/tokens/{id}', { params: { path: { ws, id } } })),
    onSuccess: () => { toast('Token revoked'); void qc.invalidateQueries({ queryKey: ['tokens', ws] }); },
    onError: (e) => toast(errorText(e), true),
  });
  return (
    <section className="card pad0" aria-labelledby="tok">
      <div className="card-head"><h2 id="tok">API tokens</h2></div>
      {shown && (
        <div className="stack" style={{ padding: 16, background: 'var(--warn-soft)', gap: 6 }} role="status">
          <strong>Copy the token now: it is not shown again.</strong>
          <div className="row" style={{ flexWrap: 'nowrap' }}><code style={{ flex: 1, overflowWrap: 'anywhere' }} data-testid="new-token">{shown}</code><CopyButton text={shown} label="Copy token" /><button className="sm ghost" onClick={() => setShown(null)}>Done</button></div>
        </div>
      )}
      {q.isPending ? <Loading rows={2} /> : q.isError ? <ErrorState error={q.error} /> : q.data.tokens.length === 0 ? <EmptyState title="No API tokens">For scripts and CI: a token acts in this workspace with its role.</EmptyState> : (
        <div className="table-wrap"><table className="plain">
          <thead><tr><th>Name</th><th>Role</th><th>Created</th><th>Last used</th><th /></tr></thead>
          <tbody>{q.data.tokens.map((t) => (
            <tr key={t.id}><td>{t.name ?? <span className="muted">unnamed</span>}</td><td><span className="badge">{t.role}</span></td><td><Rel at={t.created_at} /></td><td>{t.last_used_at ? <Rel at={t.last_used_at} /> : <span className="muted">never</span>}</td><td><button className="sm danger" onClick={() => revoke.mutate(t.id)}>Revoke</button></td></tr>
          ))}</tbody>
        </table></div>
      )}
      <form className="row" style={{ padding: 16, borderTop: '1px solid var(--border)' }} onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
        <input type="text" aria-label="Token name" placeholder="ci-deploys" value={name} onChange={(e) => setName(e.target.value)} style={{ flex: 1, minWidth: 160 }} />
        <select aria-label="Token role" value={role} onChange={(e) => setRole(e.target.value as Role)}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select>
        <button type="submit" disabled={create.isPending}>Create token</button>
      </form>
    </section>
  );
}
