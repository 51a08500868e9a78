// Escalation policies: list, put, delete.
import { authorize } from '../auth';
import { objectBody, WS, type RoutePlugin, type WsParams } from '../http';

type NameParams = WsParams & { name: string };

const escalations: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;
  app.get<{ Params: WsParams }>(`${WS}/escalations`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { escalations: engine.escalations(a.workspace.id) };
  });
  app.put<{ Params: NameParams }>(`${WS}/escalations/:name`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    engine.putEscalation(a.workspace.id, req.params.name, objectBody(req));
    return { name: req.params.name, policy: objectBody(req) };
  });
  app.delete<{ Params: NameParams }>(`${WS}/escalations/:name`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    engine.deleteEscalation(a.workspace.id, req.params.name);
    return reply.code(204).send();
  });
};

export default escalations;
