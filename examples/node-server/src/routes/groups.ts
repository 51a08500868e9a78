// Alert groups: the inbox query, one group, its events and timeline page by page, one event
// with its raw delivery, its deliveries, and lifecycle commands (one and bulk). The actor is always the authenticated principal; an `actor` in a body is dropped.
import { authorize } from '../auth';
import { HostError } from '../errors';
import { objectBody, withoutActor, WS, type RoutePlugin, type WsParams } from '../http';

type GroupParams = WsParams & { id: string };

/** The query as given, `limit` as a number when it is digits (query strings are text). */
function groupQuery(query: Record<string, string | string[]>): Record<string, string | string[] | number> {
  const { limit, ...rest } = query;
  return typeof limit === 'string' && /^\d{1,9}$/.test(limit) ? { ...rest, limit: Number(limit) } : query;
}

/** `?cursor&limit` of a group's events or timeline: limit a number (the engine checks 1 to 200). */
function itemPage(query: Record<string, string | string[]>): { cursor: string | null; limit: number | null } {
  const { cursor, limit } = query;
  if (Array.isArray(cursor)) throw new HostError('invalid_input', 'cursor: expected one cursor', 'cursor');
  if (Array.isArray(limit) || (limit !== undefined && !/^\d{1,9}$/.test(limit))) {
    throw new HostError('invalid_input', 'limit: expected a page size (1 to 200)', 'limit');
  }
  return { cursor: cursor || null, limit: limit === undefined ? null : Number(limit) };
}

const groups: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;

  app.get<{ Params: WsParams; Querystring: Record<string, string | string[]> }>(`${WS}/groups`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return engine.groups(a.workspace.id, groupQuery(req.query));
  });
  app.post<{ Params: WsParams }>(`${WS}/groups/actions`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'act');
    const { ids, ...command } = withoutActor(objectBody(req));
    if (ids === undefined) throw new HostError('invalid_input', 'ids: required', 'ids');
    return { results: engine.actMany(a.workspace.id, ids, command, a.actor, a.role) };
  });
  app.get<{ Params: GroupParams }>(`${WS}/groups/:id`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return engine.group(a.workspace.id, req.params.id);
  });
  app.get<{ Params: GroupParams; Querystring: Record<string, string | string[]> }>(`${WS}/groups/:id/events`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    const p = itemPage(req.query);
    return engine.groupEvents(a.workspace.id, req.params.id, p.cursor, p.limit);
  });
  app.get<{ Params: GroupParams; Querystring: Record<string, string | string[]> }>(`${WS}/groups/:id/timeline`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    const p = itemPage(req.query);
    return engine.groupTimeline(a.workspace.id, req.params.id, p.cursor, p.limit);
  });
  app.get<{ Params: WsParams & { id: string } }>(`${WS}/events/:id`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return engine.event(a.workspace.id, req.params.id);
  });
  app.get<{ Params: GroupParams }>(`${WS}/groups/:id/deliveries`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { deliveries: engine.deliveries(a.workspace.id, req.params.id) };
  });
  app.post<{ Params: GroupParams }>(`${WS}/groups/:id/actions`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'act');
    return engine.act(a.workspace.id, req.params.id, withoutActor(objectBody(req)), a.actor, a.role);
  });
};

export default groups;
