// Silences: list, add, expire.
import { authorize } from '../auth';
import { objectBody, withoutActor, WS, type RoutePlugin, type WsParams } from '../http';

const silences: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;
  app.get<{ Params: WsParams }>(`${WS}/silences`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { silences: engine.silences(a.workspace.id) };
  });
  app.post<{ Params: WsParams }>(`${WS}/silences`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    // the creator is the authenticated principal; an `actor` in the body is dropped
    return reply.code(201).send(engine.addSilence(a.workspace.id, withoutActor(objectBody(req)), a.actor));
  });
  app.delete<{ Params: WsParams & { id: string } }>(`${WS}/silences/:id`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    engine.expireSilence(a.workspace.id, req.params.id);
    return reply.code(204).send();
  });
};

export default silences;
