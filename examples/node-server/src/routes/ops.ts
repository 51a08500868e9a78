// Operations: Prometheus metrics, liveness and readiness.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HostError } from '../errors';
import type { RoutePlugin } from '../http';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** `Authorization: Bearer <token>` equal to `token` (compared in constant time). */
function bearerIs(req: FastifyRequest, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]), digest(token));
}

const ops: RoutePlugin = async (app, { ctx }) => {
  const { engine, config, background } = ctx;

  app.get('/metrics', async (req, reply) => {
    if (config.metricsToken !== null && !bearerIs(req, config.metricsToken)) {
      reply.header('WWW-Authenticate', 'Bearer');
      throw new HostError('unauthenticated', 'metrics need the bearer token given by --metrics-token');
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(engine.metricsText());
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (engine.ready) {
      const r = engine.ready();
      if (!r.database_writable) {
        throw new HostError('storage', `the database is not writable${r.database_error ? `: ${r.database_error}` : ''}`, null);
      }
      if (r.background !== 'running') throw new HostError('storage', `the background loop is ${r.background}`, null);
      return { status: 'ready' };
    }
    // An addon without ready(): what the host itself knows (a read, and the loop it started).
    engine.workspaces();
    if (!background.running) throw new HostError('storage', 'the background loop is not running', null);
    return reply.send({ status: 'ready' });
  });
};

export default ops;
