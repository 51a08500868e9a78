// Escalation policies: list, put, delete.
import { authorize } from '../auth';
import { objectBody, WS, type RoutePlugin, type WsParams } from '../http';

type NameParams = WsParams & { name: string };

const escalations: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;
  app.get<{ Params: WsParams }>(`${WS}/escalations`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { policies: engine.escalations(a.workspace.id) };
  });
  app.put<{ Params: NameParams }>(`${WS}/escalations/:name`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    engine.putEscalation(a.workspace.id, req.params.name, objectBody(req));
    const stored = engine.escalations(a.workspace.id);
    return { ok: true, name: req.params.name, policy: stored[req.params.name] ?? null };
  });
  app.delete<{ Params: NameParams }>(`${WS}/escalations/:name`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    engine.deleteEscalation(a.workspace.id, req.params.name);
    return reply.code(204).send();
  });
};

export default escalations;
