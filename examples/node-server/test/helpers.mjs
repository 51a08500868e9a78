// Shared by the host's tests: start the real host as a child process on 127.0.0.1 (port 0), a
// Slack-shaped HTTP server on 127.0.0.1, signing, and small HTTP helpers. Every wait is bounded.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..');
export const FIXTURES = join(ROOT, 'fixtures');
const require = createRequire(import.meta.url);

/** The addon itself, for setting up what has no HTTP route (a first user) before the host starts. */
export const { Engine } = require('signalcraft');

export function fixture(path) {
  return readFileSync(join(FIXTURES, path));
}

/** A temporary directory removed by `cleanup()`. */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'sc-node-server-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `check` (sync or async) until it returns a truthy value, at most `ms`. */
export async function waitFor(what, check, ms = 10_000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/**
 * Starts `node dist/main.js --port 0 --db DB ...args` and resolves once it prints its address.
 * `logs` holds every line it wrote (stdout and stderr).
 */
export async function startHost({ db, args = [], env = {} }) {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js'), '--port', '0', '--db', db, ...args], {
    cwd: ROOT,
    env: { ...process.env, SIGNALCRAFT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  let address = null;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const read = (stream) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (address === null && line.includes('"listening"')) {
          try {
            address = JSON.parse(line).address;
          } catch {
            /* another line */
          }
        }
      }
    });
  };
  read(child.stdout);
  read(child.stderr);
  const gone = { v: false };
  exited.then(() => (gone.v = true));
  await waitFor('the host to listen', () => address !== null || gone.v, 15_000);
  if (address === null) throw new Error(`the host exited before listening:\n${lines.join('\n')}`);
  return {
    url: address,
    logs: lines,
    child,
    exited,
    /** Sends `signal` and waits (bounded) for the exit. */
    async stop(signal = 'SIGTERM', ms = 15_000) {
      if (!gone.v) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

/** A user who owns a workspace, made with the addon on the database before the host opens it. */
export function bootstrap(db, { email = 'owner@example.com', password = 'correct horse battery staple', workspace = 'acme' } = {}) {
  const engine = new Engine(db);
  try {
    engine.addUser(email, password, 'Owner');
    engine.createWorkspace(workspace, email);
  } finally {
    engine.close();
  }
  return { email, password, workspace };
}

/** A cookie-jar client of the host: logs in, keeps `sc_session` and the CSRF token. */
export class Client {
  constructor(base) {
    this.base = base;
    this.cookie = null;
    this.csrf = null;
    this.bearer = null;
  }

  async login(email, password) {
    const res = await fetch(`${this.base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(body)}`);
    const set = res.headers.getSetCookie().find((c) => c.startsWith('sc_session='));
    this.cookie = set.split(';')[0];
    this.setCookie = set;
    this.csrf = body.csrf_token;
    return body;
  }

  /** `fetch` with the session (or bearer) and, on unsafe methods, the CSRF token. */
  async req(method, path, { json, body, headers = {}, redirect = 'manual' } = {}) {
    const h = { ...headers };
    if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
    else if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && !['GET', 'HEAD'].includes(method)) h['x-csrf-token'] = this.csrf;
    if (json !== undefined) {
      h['content-type'] = 'application/json';
      body = JSON.stringify(json);
    }
    const res = await fetch(`${this.base}${path}`, { method, headers: h, body, redirect, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    return { status: res.status, headers: res.headers, body: data };
  }
}

/** Sentry's signature: hex HMAC-SHA256 of the raw body with the client secret. */
export function sentrySignature(secret, body) {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Slack's request signature headers for `body` now. */
export function slackHeaders(signingSecret, body) {
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = 'v0=' + createHmac('sha256', signingSecret).update(`v0:${ts}:`).update(body).digest('hex');
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig, 'content-type': 'application/x-www-form-urlencoded' };
}

/**
 * A Slack-shaped Web API on 127.0.0.1: `oauth.v2.access`, `chat.postMessage`, `chat.update`.
 * Every call is recorded with its parsed body and headers.
 */
export async function startSlack({ botToken = 'xoxb-test-bot-token-0000', teamId = 'T0TEST', teamName = 'Test Team' } = {}) {
  const calls = [];
  let nextTs = 1;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const method = req.url.split('?')[0].replace(/^\/+/, '');
      let body;
      if ((req.headers['content-type'] ?? '').includes('json')) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      } else {
        body = Object.fromEntries(new URLSearchParams(raw));
      }
      calls.push({ method, headers: req.headers, body });
      let answer;
      if (method === 'oauth.v2.access') {
        answer = {
          ok: true,
          access_token: botToken,
          token_type: 'bot',
          scope: 'chat:write,channels:read,groups:read',
          bot_user_id: 'U0BOT',
          app_id: 'A0TEST',
          team: { id: teamId, name: teamName },
          enterprise: null,
          is_enterprise_install: false,
        };
      } else if (method === 'chat.postMessage') {
        const ts = `1700000000.${String(nextTs++).padStart(6, '0')}`;
        answer = { ok: true, channel: 'C0ALERTS', ts, message: { ts, text: body.text ?? '' } };
      } else if (method === 'chat.update') {
        answer = { ok: true, channel: body.channel, ts: body.ts, text: body.text ?? '' };
      } else {
        answer = { ok: false, error: 'unknown_method' };
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    calls,
    botToken,
    teamId,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** Reads server-sent events from `url` with `headers`; `events` fills as they arrive. */
export function openStream(url, headers = {}) {
  const events = [];
  const comments = [];
  let status = null;
  let ended = false;
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    status = res.statusCode;
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('id: ')) ev.id = line.slice(4);
          else if (line.startsWith('data: ')) ev.data = JSON.parse(line.slice(6));
        }
        if (ev.data !== undefined) events.push(ev);
      }
    });
    res.on('end', () => (ended = true));
    res.on('close', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  return {
    events,
    comments,
    get status() {
      return status;
    },
    get ended() {
      return ended;
    },
    close: () => req.destroy(),
  };
}
