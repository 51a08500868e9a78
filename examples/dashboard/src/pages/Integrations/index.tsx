// Integrations: per source the webhook URL with an ingest key (copy, rotate), the signature
// secret, the last webhook, accepted/rejected counts and the last error, "send test alert";
// channels with masked secrets, their circuit breaker (closed / open / half-open, failures, retry
// time), "send test notification", and "Add to Slack".
import { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, errorText, type Channel, type Integration } from '../../api/client';
import { Layout } from '../../components/Layout';
import { useCan } from '../../components/session';
import { CopyButton, EmptyState, ErrorState, Field, Loading, Modal, Rel, useToast } from '../../components/ui';
import { breakerView } from '../../lib/breaker';
import { absolute } from '../../lib/time';

type Source = 'sentry' | 'alertmanager' | 'grafana' | 'datadog' | 'pagerduty' | 'opsgenie' | 'generic';
const NAMES: Record<string, string> = { sentry: 'Sentry', alertmanager: 'Alertmanager', grafana: 'Grafana', datadog: 'Datadog', pagerduty: 'PagerDuty', opsgenie: 'Opsgenie', generic: 'Generic webhook', slack: 'Slack' };

// What a secret means for each source, as the engine enforces it (`sources::secret_use`): a
// signature over the body, a bearer token, the routing key — or nothing, where the source has no
// way to prove itself and the server refuses a secret (an ingest key authenticates it instead).
const SECRETS: Record<Source, { label: string; help: string } | null> = {
  sentry: { label: 'Signature secret', help: "Sentry's client secret: every webhook must carry its HMAC signature (Sentry-Hook-Signature)." },
  grafana: { label: 'Signature secret', help: 'Every webhook must carry its HMAC signature (set the header in the contact point).' },
  generic: { label: 'Signature secret', help: 'Every webhook must carry its HMAC signature, as the integration\'s signature options describe.' },
  alertmanager: { label: 'Bearer token', help: "Alertmanager's http_config.authorization: every webhook must send Authorization: Bearer with this token." },
  pagerduty: { label: 'Routing key', help: 'Every event must carry this routing_key (in the body or X-Routing-Key).' },
  datadog: null,
  opsgenie: null,
};

export function Integrations() {
  const { ws = '' } = useParams();
  const canEdit = useCan(ws, 'admin');
  const q = useQuery({ queryKey: ['integrations', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/integrations', { params: { path: { ws } } })), refetchInterval: 15_000 });
  const ch = useQuery({ queryKey: ['channels', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/channels', { params: { path: { ws } } })) });
  const deliveries = useQuery({ queryKey: ['all-deliveries', ws], queryFn: () => call(api.GET('/api/workspaces/{ws}/deliveries', { params: { path: { ws } } })) });
  const [slackOpen, setSlackOpen] = useState(false);
  return (
    <Layout title="Integrations" actions={canEdit ? <button className="primary" onClick={() => setSlackOpen(true)}>Add to Slack</button> : undefined}>
      <section aria-labelledby="src" className="stack">
        <h2 id="src" style={{ margin: 0 }}>Alert sources</h2>
        {q.isPending ? <Loading rows={4} /> : q.isError ? <ErrorState error={q.error} retry={() => q.refetch()} /> : (
          <div className="grid-2" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(340px, 1fr))' }}>
            {q.data.integrations.map((i) => <SourceCard key={i.source} ws={ws} i={i} canEdit={canEdit} />)}
          </div>
        )}
      </section>
      <section className="card pad0" aria-labelledby="chs">
        <div className="card-head"><h2 id="chs">Notification channels</h2></div>
        {ch.isPending ? <Loading rows={3} /> : ch.isError ? <ErrorState error={ch.error} retry={() => ch.refetch()} /> : ch.data.channels.length === 0 ? (
          <EmptyState title="No channels">Add one with “Add to Slack”, or <code>PUT …/channels/NAME</code>.</EmptyState>
        ) : (
          <div className="table-wrap"><table className="plain">
            <thead><tr><th>Name</th><th>Kind</th><th>Breaker</th><th>Settings</th><th>Recent deliveries</th><th /></tr></thead>
            <tbody>{ch.data.channels.map((c) => {
              const ds = (deliveries.data?.deliveries ?? []).filter((d) => d.channel === c.name);
              const failed = ds.filter((d) => d.status === 'failed').length;
              const last = ds[0];
              return <ChannelRow key={c.name} ws={ws} c={c} canEdit={canEdit} summary={ds.length ? `${ds.length} recent · ${failed} failed${last ? ` · last ${last.status}` : ''}` : 'none yet'} healthy={failed === 0} />;
            })}</tbody>
          </table></div>
        )}
      </section>
      <SlackConnect ws={ws} open={slackOpen} onClose={() => setSlackOpen(false)} />
    </Layout>
  );
}

function SourceCard({ ws, i, canEdit }: { ws: string; i: Integration; canEdit: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [newKey, setNewKey] = useState<string | null>(null);
  const [secretOpen, setSecretOpen] = useState(false);
  const source = i.source as Source;
  const meaning = SECRETS[source] ?? null;
  const refresh = () => qc.invalidateQueries({ queryKey: ['integrations', ws] });
  const rotate = useMutation({
    mutationFn: async () => {
      const k = await call(api.POST('/api/workspaces/{ws}/integrations/{source}/keys', { params: { path: { ws, source } } }));
      // Rotation: the new key is live first, then the old ones are revoked.
      for (const old of i.keys ?? []) {
        await call(api.DELETE('/api/workspaces/{ws}/integrations/{source}/keys/{id}', { params: { path: { ws, source, id: old.id } } }));
      }
      return k;
    },
    onSuccess: (k) => { setNewKey(k.key); toast(i.keys?.length ? 'Key rotated: the old key no longer works' : 'Ingest key created'); void refresh(); },
    onError: (e) => toast(errorText(e), true),
  });
  const test = useMutation({
    mutationFn: () => call(api.POST('/api/workspaces/{ws}/integrations/{source}/test', { params: { path: { ws, source } } })),
    onSuccess: (o) => { toast(`Test alert ${o.outcome}: ${o.alerts.map((a) => a.decision.replace('_', ' ')).join(', ') || o.reason || ''}`); void refresh(); void qc.invalidateQueries({ queryKey: ['groups', ws] }); },
    onError: (e) => toast(errorText(e), true),
  });
  const h = i.health;
  const rejected = h ? Object.entries(h.rejected_24h) : [];
  const url = i.webhook_url ?? '';
  const urlWithKey = newKey ? `${url}?key=${newKey}` : url;
  const healthTone = !h?.last_delivery_at ? 'muted' : rejected.length ? 'warn' : 'ok';
  return (
    <article className="card stack" aria-label={`${i.source} integration`} data-source={i.source} style={{ gap: 10 }}>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h3 style={{ margin: 0, fontSize: 15 }}>{NAMES[i.source] ?? i.source}</h3>
        <span className={`badge ${healthTone === 'ok' ? 'st-resolved' : healthTone === 'warn' ? 'st-snoozed' : ''}`}>{!h?.last_delivery_at ? 'no webhooks yet' : rejected.length ? 'receiving, some rejected' : 'healthy'}</span>
      </div>
      <div className="stack" style={{ gap: 4 }}>
        <span className="small muted">Webhook URL</span>
        <div className="row" style={{ flexWrap: 'nowrap' }}>
          <code style={{ flex: 1, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', padding: '5px 8px', background: 'var(--panel-2)', borderRadius: 6 }} title={urlWithKey}>{urlWithKey}</code>
          <CopyButton text={urlWithKey} label="Copy URL" />
        </div>
        {newKey && <span className="small tone-warn">This key is shown once: copy the URL now.</span>}
      </div>
      <div className="small">
        <div>Ingest keys: {i.keys?.length ? (
          <span title={i.keys.map((k) => `${k.prefix}… created ${k.created_at}`).join('\n')}>
            {i.keys.length} live ({i.keys.map((k) => k.prefix).join(', ')}) · last used <Rel at={i.keys.map((k) => k.last_used_at).filter(Boolean).sort().at(-1) ?? null} />
          </span>
        ) : <span className="muted">none</span>}</div>
        {meaning
          ? <div>{meaning.label}: {i.has_secret ? <strong className="tone-ok">set</strong> : <span className="muted">not set</span>}</div>
          : <div>{i.has_secret
            ? <span className="tone-bad">A secret is stored, but {NAMES[source]} cannot sign its webhooks: every delivery is refused until it is removed. Use an ingest key.</span>
            : <span className="muted">{NAMES[source]} cannot sign its webhooks: an ingest key in the URL authenticates them.</span>}</div>}
        <div>Last webhook: {h?.last_delivery_at ? <Rel at={h.last_delivery_at} /> : <span className="muted">never</span>} · accepted 24 h: <strong>{h?.accepted_24h ?? 0}</strong>
          {rejected.length > 0 && <> · rejected: {rejected.map(([k, n]) => <span key={k} className="tone-bad">{k} {n} </span>)}</>}
        </div>
        {h?.last_error && <div className="tone-bad">Last error <Rel at={h.last_error.at} />: {h.last_error.kind}: {h.last_error.message}</div>}
      </div>
      {canEdit && (
        <div className="row">
          <button className="sm" disabled={rotate.isPending} onClick={() => rotate.mutate()}>{i.keys?.length ? 'Rotate key' : 'Create key'}</button>
          {(meaning || i.has_secret) && (
            <button className="sm" onClick={() => setSecretOpen(true)}>{!meaning ? 'Remove secret' : i.has_secret ? `Change ${meaning.label.toLowerCase()}` : `Set ${meaning.label.toLowerCase()}`}</button>
          )}
          <button className="sm" disabled={test.isPending} onClick={() => test.mutate()}>Send test alert</button>
        </div>
      )}
      <SecretModal ws={ws} source={source} open={secretOpen} hasSecret={i.has_secret} onClose={() => setSecretOpen(false)} />
    </article>
  );
}

function SecretModal({ ws, source, open, hasSecret, onClose }: { ws: string; source: Source; open: boolean; hasSecret: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [secret, setSecret] = useState('');
  const meaning = SECRETS[source] ?? null;
  const save = useMutation({
    mutationFn: (clear: boolean) => call(api.PUT('/api/workspaces/{ws}/integrations/{source}', { params: { path: { ws, source } }, body: clear ? { clear_secret: true } : { secret } })),
    onSuccess: () => { toast('Saved'); setSecret(''); void qc.invalidateQueries({ queryKey: ['integrations', ws] }); onClose(); },
    onError: (e) => toast(errorText(e), true),
  });
  return (
    <Modal title={`${NAMES[source]}: ${(meaning?.label ?? 'secret').toLowerCase()}`} open={open} onClose={onClose}>
      <p className="small muted" style={{ margin: 0 }}>{meaning
        ? `${meaning.help} Without one, an ingest key in the URL authenticates them.`
        : `${NAMES[source]} cannot sign its webhooks, so the server refuses a secret for it: remove the stored one and use an ingest key.`}</p>
      {meaning && <Field label={meaning.label}><input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} autoComplete="off" /></Field>}
      <div className="row" style={{ justifyContent: 'flex-end' }}>
        {hasSecret && <button className="danger" onClick={() => save.mutate(true)}>Remove secret</button>}
        <button onClick={onClose}>Cancel</button>
        {meaning && <button className="primary" disabled={!secret || save.isPending} onClick={() => save.mutate(false)}>Save</button>}
      </div>
    </Modal>
  );
}

function ChannelRow({ ws, c, canEdit, summary, healthy }: { ws: string; c: Channel; canEdit: boolean; summary: string; healthy: boolean }) {
  const toast = useToast();
  const qc = useQueryClient();
  const test = useMutation({
    mutationFn: () => call(api.POST('/api/workspaces/{ws}/channels/{name}/test', { params: { path: { ws, name: c.name } } })),
    onSuccess: (d) => { toast(`Test notification queued (delivery ${d.id})`); setTimeout(() => void qc.invalidateQueries({ queryKey: ['all-deliveries', ws] }), 1500); },
    onError: (e) => toast(errorText(e), true),
  });
  return (
    <tr>
      <td><strong>{c.name}</strong></td>
      <td><span className="badge">{c.kind}</span></td>
      <td data-testid={`breaker-${c.name}`}><BreakerCell b={c.breaker} /></td>
      <td className="small mono" style={{ maxWidth: 380, overflowWrap: 'anywhere' }}>{Object.entries(c.config).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' · ')}</td>
      <td className="small"><span className={healthy ? '' : 'tone-bad'}>{summary}</span></td>
      <td>{canEdit && <button className="sm" disabled={test.isPending} onClick={() => test.mutate()}>Send test notification</button>}</td>
    </tr>
  );
}

function BreakerCell({ b }: { b: Channel['breaker'] }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (b.state !== 'open') return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [b.state]);
  const v = breakerView(b, now);
  const cls = v.tone === 'ok' ? 'st-resolved' : v.tone === 'warn' ? 'st-snoozed' : 'st-open';
  return (
    <div className="stack" style={{ gap: 2 }} title={b.opened_at ? `opened ${absolute(b.opened_at)}${b.retry_at ? `, retry at ${absolute(b.retry_at)}` : ''}` : undefined}>
      <span className={`badge ${cls}`} style={{ alignSelf: 'flex-start' }}><span className={`dot ${v.tone}`} aria-hidden="true" />{v.label}</span>
      <span className="small muted" style={{ whiteSpace: 'nowrap' }}>{v.detail}</span>
    </div>
  );
}

function SlackConnect({ ws, open, onClose }: { ws: string; open: boolean; onClose: () => void }) {
  const [channel, setChannel] = useState('slack');
  const [slackChannel, setSlackChannel] = useState('#alerts');
  const href = `/api/workspaces/${encodeURIComponent(ws)}/integrations/slack/connect?${new URLSearchParams({ channel, slack_channel: slackChannel })}`;
  return (
    <Modal title="Add to Slack" open={open} onClose={onClose}>
      <p className="small muted" style={{ margin: 0 }}>Slack asks you to approve the app (chat:write, channels:read, groups:read); then alerts post to the Slack channel below, with Acknowledge and Resolve buttons.</p>
      <Field label="SignalCraft channel name"><input type="text" value={channel} onChange={(e) => setChannel(e.target.value)} /></Field>
      <Field label="Slack channel"><input type="text" value={slackChannel} onChange={(e) => setSlackChannel(e.target.value)} /></Field>
      <div className="row" style={{ justifyContent: 'flex-end' }}><button onClick={onClose}>Cancel</button><a className="btn primary" href={href}>Continue to Slack</a></div>
    </Modal>
  );
}
