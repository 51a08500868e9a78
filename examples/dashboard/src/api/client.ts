// The typed API client, generated from examples/api/openapi.yaml (src/api/schema.d.ts is written
// by `npm run gen` before every build, so a contract change that breaks the UI fails `tsc`).
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type AlertGroup = Schemas['AlertGroup'];
export type GroupDetail = Schemas['GroupDetail'];
export type Principal = Schemas['Principal'];
export type Stats = Schemas['Stats'];
export type Rule = Schemas['Rule'];
export type Silence = Schemas['Silence'];
export type Maintenance = Schemas['Maintenance'];
export type Integration = Schemas['Integration'];
export type Channel = Schemas['Channel'];
export type Delivery = Schemas['Delivery'];
export type IngestOutcome = Schemas['IngestOutcome'];
export type ReplayReport = Schemas['ReplayReport'];
export type Settings = Schemas['Settings'];
export type Member = Schemas['Member'];
export type TokenInfo = Schemas['TokenInfo'];
export type EscalationPolicy = Schemas['EscalationPolicy'];
export type Command = Schemas['Command'];
export type ChangeEvent = Schemas['ChangeEvent'];

/** An error the API answered (`{"error": {kind, message, path}}`) or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
    readonly path: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** The session's CSRF token, sent as `X-CSRF-Token` on unsafe methods. */
export function setCsrf(token: string | null): void {
  csrfToken = token;
}

/** Called when any call answers 401 (the session ended). */
export function setOnUnauthenticated(f: () => void): void {
  onUnauthenticated = f;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: typeof window === 'undefined' ? 'http://127.0.0.1' : window.location.origin,
  credentials: 'same-origin',
});
api.use(csrf);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer, or an ApiError naming the kind, message and path. */
export async function call<T>(p: Promise<Answer<T>>): Promise<T> {
  let r: Answer<T>;
  try {
    r = await p;
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e), null);
  }
  if (r.response.ok) return r.data as T;
  const body = (r.error ?? {}) as { error?: { kind?: string; message?: string; path?: string | null } };
  const err = body.error ?? {};
  if (r.response.status === 401 && onUnauthenticated) onUnauthenticated();
  const path = err.path ?? null;
  let message = err.message ?? r.response.statusText ?? 'request failed';
  // The engine's messages often start with their path; the UI shows the path where it points.
  if (path && message.startsWith(`${path}: `)) message = message.slice(path.length + 2);
  throw new ApiError(r.response.status, err.kind ?? `http_${r.response.status}`, message, path);
}

/** A message for people from any thrown value. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.path ? `${e.message} (at ${e.path})` : e.message;
  return e instanceof Error ? e.message : String(e);
}
