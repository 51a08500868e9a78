// The host's HTTP API from Node, for setting up browser tests: a session and webhook posts.
import { randomBytes } from 'node:crypto';

/** A signed-in session (cookie + CSRF token) that calls the API as the dashboard does. */
export async function session(base, email, password) {
  const r = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (r.status !== 200) throw new Error(`login: ${r.status} ${await r.text()}`);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
  const { csrf_token } = await r.json();
  const call = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { cookie, 'x-csrf-token': csrf_token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return { cookie, csrf: csrf_token, call };
}

/** An Alertmanager webhook body with one firing alert of its own (a new group each time). */
export function alertBody({ title, severity = 'critical', service = 'checkout', env = 'production', fingerprint, startsAt }) {
  const fp = fingerprint ?? randomBytes(8).toString('hex');
  return JSON.stringify({
    receiver: 'signalcraft', status: 'firing', version: '4', groupKey: `{}:{alertname="${title}"}`,
    groupLabels: { alertname: title }, commonLabels: { alertname: title, severity }, commonAnnotations: { summary: title },
    externalURL: 'http://alertmanager.example:9093',
    alerts: [{
      status: 'firing',
      labels: { alertname: title, severity, service, env, environment: env },
      annotations: { summary: title, description: `${title} on ${service}` },
      startsAt: startsAt ?? new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph', fingerprint: fp,
    }],
  });
}

/** POSTs a webhook with an ingest key; answers the ingest outcome. */
export async function postWebhook(base, ws, source, key, body) {
  const r = await fetch(`${base}/webhooks/${encodeURIComponent(ws)}/${source}?key=${encodeURIComponent(key)}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(15_000),
  });
  const text = await r.text();
  if (r.status !== 202) throw new Error(`webhook: ${r.status} ${text}`);
  return JSON.parse(text);
}
