// The Fastify app: logging, security headers, cookies, the shared error handler and one plugin
// per domain. `buildApp` opens nothing itself; `main.ts` owns the engine's life.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import pino from 'pino';
import type { Core } from './engine';
import { HostError, installErrorHandling, sendError } from './errors';
import { ChangeFeed } from './feed';
import channels from './routes/channels';
import escalations from './routes/escalations';
import groups from './routes/groups';
import integrations from './routes/integrations';
import maintenance from './routes/maintenance';
import monitors from './routes/monitors';
import ops from './routes/ops';
import rules from './routes/rules';
import session from './routes/session';
import silences from './routes/silences';
import slack from './routes/slack';
import stats from './routes/stats';
import stream from './routes/stream';
import webhooks from './routes/webhooks';
import workspaces from './routes/workspaces';
import demoSink from './routes/demo-sink';
import dashboard from './routes/dashboard';

/** Slack app settings (from the environment); OAuth routes answer invalid_input without them. */
export interface SlackSettings {
  clientId: string | null;
  clientSecret: string | null;
  apiBase: string | null;
  authorizeUrl: string | null;
  /** Default `{public URL}/api/slack/oauth/callback`. */
  redirectUri: string | null;
  /** The app's signing secret: an install then sets it as the workspace's (button clicks). */
  signingSecret: string | null;
}

export interface HostConfig {
  host: string;
  port: number;
  /** `--metrics-token`: `/metrics` then needs `Authorization: Bearer` with it. */
  metricsToken: string | null;
  /** Where the outside world reaches this host (redirect and webhook URLs); null: the request's origin. */
  publicUrl: string | null;
  slack: SlackSettings;
  /** The largest request body, equal to the engine's. */
  maxBodyBytes: number;
  logLevel: string;
  /** Serve the loopback sink the demo's webhook channel posts to. */
  demo: boolean;
  /** How often the change feed polls the engine, and how often a stream gets a heartbeat. */
  feedPollMs: number;
  heartbeatMs: number;
  /** Fastify's `trustProxy` (only behind a reverse proxy), or false. */
  trustProxy: boolean | string;
}

/** What every route plugin gets. */
export interface HostContext {
  engine: Core;
  config: HostConfig;
  feed: ChangeFeed;
  /** Whether the engine's background loop runs (set by main.ts). */
  background: { running: boolean };
}

/** Query values that are secrets: never logged. */
const SECRET_QUERY = /([?&](?:key|token|code|state|access_token|client_secret|password)=)[^&#]*/gi;

/** The URL with secret query values replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

/** The host's logger: pino JSON with request ids; credentials, tokens and secrets redacted. */
export function makeLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
        '*.token',
        '*.password',
        '*.secret',
        '*.csrf_token',
        '*.client_secret',
        '*.key',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(req: FastifyRequest) {
        return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip };
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Builds the app on an open engine. */
export async function buildApp(ctx: HostContext, log: pino.Logger): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: ctx.config.maxBodyBytes,
    trustProxy: ctx.config.trustProxy,
    genReqId: () => randomUUID(),
    forceCloseConnections: 'idle',
    loggerInstance: log as FastifyBaseLogger,
    // Path parameters (names, ids, emails) are the engine's to judge, whatever their length
    // (the URL itself is bounded by Node's header limit).
    routerOptions: { maxParamLength: 16 * 1024 },
    // The router's own refusals (a malformed URL) in the contract's error body.
    frameworkErrors: (err, _req, reply) => {
      sendError(reply, new HostError('invalid_input', err.message, 'path'));
    },
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
  });
  await app.register(helmet, { global: true });
  await app.register(cookie);
  // PATCH …/settings also takes RFC 7396's own media type.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  installErrorHandling(app);

  const opts = { ctx };
  await app.register(webhooks, opts);
  await app.register(slack, opts);
  await app.register(session, opts);
  await app.register(workspaces, opts);
  await app.register(groups, opts);
  await app.register(rules, opts);
  await app.register(silences, opts);
  await app.register(maintenance, opts);
  await app.register(escalations, opts);
  await app.register(channels, opts);
  await app.register(integrations, opts);
  await app.register(monitors, opts);
  await app.register(stats, opts);
  await app.register(stream, opts);
  await app.register(ops, opts);
  if (ctx.config.demo) await app.register(demoSink, opts);
  // The web dashboard at `/` (examples/dashboard/dist), after every API route.
  await app.register(dashboard, opts);
  return app;
}
