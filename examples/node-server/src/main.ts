// The SignalCraft server: `node dist/main.js --port PORT --db PATH|URL [--host 127.0.0.1] [--demo]
// [--metrics-token T]`. Opens the engine, serves the contract, runs the engine's background
// loop, and shuts down gracefully on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { buildApp, makeLogger, type HostConfig, type HostContext } from './app';
import { seedDemo } from './demo';
import { openEngine } from './engine';
import { ChangeFeed } from './feed';

const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
const SHUTDOWN_LIMIT_MS = 10_000;

function env(...names: string[]): string | null {
  for (const n of names) {
    const v = process.env[n];
    if (v !== undefined && v !== '') return v;
  }
  return null;
}

function positiveInt(name: string, value: string | null, fallback: number): number {
  if (value === null) return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0) {
    throw new Error(`${name}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/**
 * The database as logs may show it: a file path as it is, a `postgres://` URL without its
 * password (in the user part or a `password` parameter).
 */
function describeDb(db: string): string {
  if (!/^postgres(ql)?:\/\//i.test(db)) return db;
  try {
    const url = new URL(db);
    if (url.password !== '') url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.toString();
  } catch {
    return `${db.slice(0, db.indexOf(':'))}://(an unparsable URL)`;
  }
}

function config(argv: string[]): { config: HostConfig; db: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      db: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      demo: { type: 'boolean', default: false },
      'metrics-token': { type: 'string' },
    },
    strict: true,
  });
  if (values.db === undefined) throw new Error('--db is required: a file path, sqlite:PATH, or a postgres:// URL');
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`);
  const publicUrl = env('SIGNALCRAFT_PUBLIC_URL');
  const trust = env('SIGNALCRAFT_TRUST_PROXY');
  return {
    db: values.db,
    config: {
      host: values.host ?? '127.0.0.1',
      port,
      metricsToken: values['metrics-token'] ?? env('SIGNALCRAFT_METRICS_TOKEN'),
      publicUrl: publicUrl === null ? null : publicUrl.replace(/\/+$/, ''),
      slack: {
        clientId: env('SLACK_CLIENT_ID', 'SIGNALCRAFT_SLACK_CLIENT_ID'),
        clientSecret: env('SLACK_CLIENT_SECRET', 'SIGNALCRAFT_SLACK_CLIENT_SECRET'),
        apiBase: env('SLACK_API_BASE', 'SIGNALCRAFT_SLACK_API_BASE'),
        authorizeUrl: env('SLACK_AUTHORIZE_URL', 'SIGNALCRAFT_SLACK_AUTHORIZE_URL'),
        redirectUri: env('SIGNALCRAFT_SLACK_REDIRECT_URI'),
        signingSecret: env('SLACK_SIGNING_SECRET', 'SIGNALCRAFT_SLACK_SIGNING_SECRET'),
      },
      maxBodyBytes: positiveInt('SIGNALCRAFT_MAX_BODY_BYTES', env('SIGNALCRAFT_MAX_BODY_BYTES'), DEFAULT_MAX_BODY_BYTES),
      logLevel: env('SIGNALCRAFT_LOG_LEVEL', 'LOG_LEVEL') ?? 'info',
      demo: values.demo ?? false,
      feedPollMs: positiveInt('SIGNALCRAFT_FEED_POLL_MS', env('SIGNALCRAFT_FEED_POLL_MS'), 250),
      heartbeatMs: positiveInt('SIGNALCRAFT_HEARTBEAT_MS', env('SIGNALCRAFT_HEARTBEAT_MS'), 15_000),
      trustProxy: trust === null ? false : trust === '1' || trust === 'true' ? true : trust,
    },
  };
}

async function main(): Promise<void> {
  const { config: cfg, db } = config(process.argv.slice(2));
  // The demo's webhook channel posts to this host on loopback.
  if (cfg.demo) process.env.SIGNALCRAFT_ALLOW_PRIVATE_TARGETS = '1';
  const { engine, missing } = openEngine(db, { maxBodyBytes: cfg.maxBodyBytes });
  const background = { running: false };
  const log = makeLogger(cfg.logLevel);
  const feed = new ChangeFeed(engine, cfg.feedPollMs, log);
  const ctx: HostContext = { engine, config: cfg, background, feed };
  const app = await buildApp(ctx, log);
  const lacking = missing.filter((m) => m !== 'ready');
  if (lacking.length) app.log.warn({ missing: lacking }, 'the signalcraft addon lacks calls of the contract; their routes answer 500');
  if (missing.includes('ready')) app.log.info('the addon has no ready(): /readyz checks a read and that the background loop was started');

  let closing = false;
  app.addHook('preClose', async () => {
    feed.closeAll(); // streams never end by themselves
  });
  app.addHook('onClose', async () => {
    engine.stop();
    background.running = false;
    engine.close();
  });
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    const limit = setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    app.close().then(
      () => {
        app.log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  engine.startBackground();
  background.running = true;
  const address = await app.listen({ host: cfg.host, port: cfg.port });
  app.log.info({ address, db: describeDb(db) }, 'serving');
  // Machine-readable for scripts and tests: the address actually bound.
  process.stdout.write(`${JSON.stringify({ msg: 'listening', address })}\n`);
  if (cfg.demo) {
    const port = Number(new URL(address).port);
    seedDemo(engine, db, { base: `http://127.0.0.1:${port}`, maxBodyBytes: cfg.maxBodyBytes }, log);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`signalcraft-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
