// One error handler: the engine's error `code` decides the status; every error body is
// `{"error": {"kind", "message", "path"}}`.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** HTTP status by the engine's error kind (examples/api/openapi.yaml). */
const STATUS: Record<string, number> = {
  invalid_input: 400,
  signature: 401,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  storage: 503,
  internal: 500,
};

/** An error raised by the host itself, shaped like the engine's. */
export class HostError extends Error {
  readonly code: string;
  readonly path: string | null;
  constructor(kind: keyof typeof STATUS, message: string, path: string | null = null) {
    super(message);
    this.code = kind.toUpperCase();
    this.path = path;
  }
}

interface EngineLike {
  code?: unknown;
  path?: unknown;
  retryAfterSecs?: unknown;
  statusCode?: unknown;
  message: string;
}

/** The error body and status for any error a route or Fastify raised. */
export function errorReply(err: EngineLike): {
  status: number;
  kind: string;
  message: string;
  path: string | null;
  retryAfter: number | null;
} {
  const code = typeof err.code === 'string' ? err.code : '';
  const kind = code.toLowerCase();
  if (kind in STATUS) {
    const retry = typeof err.retryAfterSecs === 'number' ? Math.max(1, Math.ceil(err.retryAfterSecs)) : null;
    const path = typeof err.path === 'string' ? err.path : null;
    return { status: STATUS[kind], kind, message: err.message, path, retryAfter: kind === 'rate_limited' ? (retry ?? 1) : null };
  }
  // The addon refusing an argument's JavaScript type (napi's `StringExpected`, `InvalidArg`, …):
  // the host passes request JSON through, so the request sent a value of the wrong type.
  if (code === 'InvalidArg' || /^[A-Za-z]+Expected$/.test(code)) {
    return { status: 400, kind: 'invalid_input', message: `a value of the wrong type: ${err.message}`, path: null, retryAfter: null };
  }
  // Fastify's own: body too large, unreadable JSON, an unsupported content type.
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, kind: 'too_large', message: 'request body is larger than the limit', path: 'body', retryAfter: null };
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status: 400, kind: 'invalid_input', message: err.message, path: 'body', retryAfter: null };
  }
  return { status: 500, kind: 'internal', message: 'internal error', path: null, retryAfter: null };
}

/** Sends `err` as the contract's error body. */
export function sendError(reply: FastifyReply, err: EngineLike): FastifyReply {
  const e = errorReply(err);
  if (e.retryAfter !== null) reply.header('Retry-After', String(e.retryAfter));
  return reply.code(e.status).send({ error: { kind: e.kind, message: e.message, path: e.path } });
}

/** Installs the shared error and not-found handlers. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const e = errorReply(err);
    if (e.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ kind: e.kind, path: e.path }, e.message);
    return sendError(reply, err);
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    return sendError(reply, new HostError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
}
