// Small request helpers every route plugin shares.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { HostContext } from './app';
import type { HeaderPairs, Json, JsonObject } from './engine';
import { HostError } from './errors';

/** A route plugin: registered with the host's context. */
export type RoutePlugin = FastifyPluginAsync<{ ctx: HostContext }>;

/** The path prefix of one workspace's API. */
export const WS = '/api/workspaces/:ws';

/** Path parameters of a workspace route. */
export interface WsParams { ws: string }

/** The request headers as sent: `[name, value]` pairs in order, repeats kept. */
export function headerPairs(req: FastifyRequest): HeaderPairs {
  const raw = req.raw.rawHeaders;
  const out: HeaderPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

/** The JSON body as an object (an absent body is `{}`); anything else is invalid_input. */
export function objectBody(req: FastifyRequest): JsonObject {
  const body = req.body as Json | undefined;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new HostError('invalid_input', 'expected a JSON object', 'body');
  }
  return body;
}

/** The body without `actor` and `role`: both are always the authenticated principal's. */
export function withoutActor(body: JsonObject): JsonObject {
  const { actor: _actor, role: _role, ...rest } = body;
  return rest;
}

/** Registers a parser giving every body as the exact bytes received (webhooks, Slack). */
export function rawBodies(app: FastifyInstance, limit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) => {
    done(null, body);
  });
}

/** The request's body as bytes (an empty Buffer when none was sent). */
export function rawBody(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/** A single query value (the last when repeated), or null. */
export function queryValue(req: FastifyRequest, name: string): string | null {
  const q = req.query as Record<string, string | string[] | undefined>;
  const v = q[name];
  if (Array.isArray(v)) return v.length ? v[v.length - 1] : null;
  return typeof v === 'string' ? v : null;
}
