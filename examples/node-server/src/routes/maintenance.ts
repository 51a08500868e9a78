// Maintenance windows: list, add, delete.
import { authorize } from '../auth';
import { objectBody, WS, type RoutePlugin, type WsParams } from '../http';

const maintenance: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;
  app.get<{ Params: WsParams }>(`${WS}/maintenance`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { maintenance: engine.maintenanceWindows(a.workspace.id) };
  });
  app.post<{ Params: WsParams }>(`${WS}/maintenance`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    return reply.code(201).send(engine.addMaintenance(a.workspace.id, objectBody(req)));
  });
  app.delete<{ Params: WsParams & { id: string } }>(`${WS}/maintenance/:id`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    engine.deleteMaintenance(a.workspace.id, req.params.id);
    return reply.code(204).send();
  });
};

export default maintenance;
