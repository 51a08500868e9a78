// The credential of a request and the one engine call that authorizes it. Who may do what is
// the engine's decision (`authorize`); the host only reads where the credential is.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Access, Core, Permission, Principal } from './engine';

/** The session cookie's name. */
export const SESSION_COOKIE = 'sc_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `Authorization: Bearer X` if present, else the `sc_session` cookie, else "" (the engine answers unauthenticated). */
export function credential(req: FastifyRequest): string {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m) return m[1];
  }
  return req.cookies[SESSION_COOKIE] ?? '';
}

/** Whether the method changes state (a session then needs its CSRF token). */
export function unsafe(req: FastifyRequest): boolean {
  return !SAFE_METHODS.has(req.method);
}

/** The `X-CSRF-Token` header, or null. */
export function csrf(req: FastifyRequest): string | null {
  const v = req.headers['x-csrf-token'];
  return typeof v === 'string' ? v : null;
}

/** The principal behind the request (any route that is not about one workspace). */
export function authenticate(engine: Core, req: FastifyRequest): Principal {
  return engine.authenticate(credential(req), unsafe(req), csrf(req));
}

/** The principal's access to `workspace` with `permission`, or the engine's error. */
export function authorize(engine: Core, req: FastifyRequest, workspace: string, permission: Permission): Access {
  return engine.authorize(credential(req), workspace, permission, unsafe(req), csrf(req));
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Secure when served over https. */
export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: string, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure,
    expires: new Date(expiresAt),
  });
}

/** Clears the session cookie. */
export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure });
}
