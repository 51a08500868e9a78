// Notification channels: list (secrets masked by the engine), put, delete, send a test.
import { authorize } from '../auth';
import { HostError } from '../errors';
import { objectBody, WS, type RoutePlugin, type WsParams } from '../http';

type NameParams = WsParams & { name: string };

const channels: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;
  app.get<{ Params: WsParams }>(`${WS}/channels`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { channels: engine.channels(a.workspace.id) };
  });
  app.put<{ Params: NameParams }>(`${WS}/channels/:name`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    const { kind, config } = objectBody(req);
    if (typeof kind !== 'string') throw new HostError('invalid_input', 'kind: expected a string', 'kind');
    return engine.setChannel(a.workspace.id, req.params.name, kind, config ?? {});
  });
  app.delete<{ Params: NameParams }>(`${WS}/channels/:name`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    engine.deleteChannel(a.workspace.id, req.params.name);
    return reply.code(204).send();
  });
  app.post<{ Params: NameParams }>(`${WS}/channels/:name/test`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    return reply.code(202).send(engine.testChannel(a.workspace.id, req.params.name));
  });
};

export default channels;
