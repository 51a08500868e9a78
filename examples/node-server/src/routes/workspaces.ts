// Workspaces, their settings, members and API tokens.
import { authenticate, authorize } from '../auth';
import { HostError } from '../errors';
import { objectBody, WS, type RoutePlugin, type WsParams } from '../http';

const workspaces: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;

  app.get('/api/workspaces', async (req) => {
    const p = authenticate(engine, req);
    const role = new Map(p.memberships.map((m) => [m.workspace_id, m.role]));
    const list = engine.workspaces().filter((w) => role.has(w.id)).map((w) => ({ ...w, role: role.get(w.id) }));
    return { workspaces: list };
  });
  app.post('/api/workspaces', async (req, reply) => {
    const p = authenticate(engine, req);
    if (p.user === null) throw new HostError('forbidden', 'an API token cannot create workspaces');
    const name = objectBody(req).name;
    if (typeof name !== 'string') throw new HostError('invalid_input', 'name: expected a string', 'name');
    return reply.code(201).send(engine.createWorkspace(name, p.user.email));
  });

  app.get<{ Params: WsParams }>(`${WS}/settings`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return engine.settings(a.workspace.id);
  });
  app.patch<{ Params: WsParams }>(`${WS}/settings`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    return engine.patchSettings(a.workspace.id, objectBody(req));
  });

  app.get<{ Params: WsParams }>(`${WS}/members`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'administer');
    return { members: engine.members(a.workspace.id) };
  });
  app.put<{ Params: WsParams & { email: string } }>(`${WS}/members/:email`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'administer');
    const role = objectBody(req).role;
    if (typeof role !== 'string') throw new HostError('invalid_input', 'role: expected a string', 'role');
    return engine.setMember(a.workspace.id, req.params.email, role);
  });
  app.delete<{ Params: WsParams & { email: string } }>(`${WS}/members/:email`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'administer');
    engine.removeMember(a.workspace.id, req.params.email);
    return reply.code(204).send();
  });

  app.get<{ Params: WsParams }>(`${WS}/tokens`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'administer');
    return { tokens: engine.tokens(a.workspace.id) };
  });
  app.post<{ Params: WsParams }>(`${WS}/tokens`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'administer');
    const body = objectBody(req);
    const role = body.role;
    if (typeof role !== 'string') throw new HostError('invalid_input', 'role: expected a string', 'role');
    const name = typeof body.name === 'string' ? body.name : null;
    return reply.code(201).send(engine.createToken(a.workspace.id, role, name));
  });
  app.delete<{ Params: WsParams & { id: string } }>(`${WS}/tokens/:id`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'administer');
    engine.revokeToken(a.workspace.id, req.params.id);
    return reply.code(204).send();
  });
};

export default workspaces;
