// Sessions: log in (the cookie `sc_session` and the CSRF token), log out, who am I.
import { authenticate, clearSessionCookie, credential, setSessionCookie } from '../auth';
import type { HostConfig } from '../app';
import { HostError } from '../errors';
import { objectBody, type RoutePlugin } from '../http';
import type { FastifyRequest } from 'fastify';

/** Whether cookies get `Secure`: the public URL is https, or this request came over https. */
export function secureCookies(config: HostConfig, req: FastifyRequest): boolean {
  return (config.publicUrl ?? '').startsWith('https://') || req.protocol === 'https';
}

function text(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string') throw new HostError('invalid_input', `${name}: expected a string`, name);
  return v;
}

const session: RoutePlugin = async (app, { ctx }) => {
  app.post('/api/session', async (req, reply) => {
    const body = objectBody(req);
    const s = ctx.engine.login(text(body, 'email'), text(body, 'password'), req.ip);
    setSessionCookie(reply, s.token, s.expires_at, secureCookies(ctx.config, req));
    // The session token travels only in the HttpOnly cookie.
    return { user: s.user, csrf_token: s.csrf_token, expires_at: s.expires_at };
  });
  app.delete('/api/session', async (req, reply) => {
    authenticate(ctx.engine, req);
    ctx.engine.logout(credential(req));
    clearSessionCookie(reply, secureCookies(ctx.config, req));
    return reply.code(204).send();
  });
  app.get('/api/me', async (req) => authenticate(ctx.engine, req));
};

export default session;
