// Fleet monitors: the apps and monitors document (get, replace), every monitor's state, one
// monitor run now, and the apps with their states and open alerts (the dashboard's Fleet page).
import { authorize } from '../auth';
import type { Json } from '../engine';
import { WS, type RoutePlugin, type WsParams } from '../http';

type IdParams = WsParams & { id: string };

const monitors: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;

  app.get<{ Params: WsParams }>(`${WS}/monitors`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return engine.monitors(a.workspace.id);
  });
  // The body is the document as `signalcraft monitor put` reads it (a list, or `{apps,
  // monitors}`): the engine checks its shape and names every problem's path.
  app.put<{ Params: WsParams }>(`${WS}/monitors`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    return engine.putMonitors(a.workspace.id, (req.body as Json | undefined) ?? null);
  });
  app.get<{ Params: WsParams }>(`${WS}/monitors/status`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { monitors: engine.monitorStatus(a.workspace.id) };
  });
  app.post<{ Params: IdParams }>(`${WS}/monitors/:id/run`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'act');
    return engine.runMonitor(a.workspace.id, req.params.id);
  });
  app.get<{ Params: WsParams }>(`${WS}/apps`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { apps: engine.apps(a.workspace.id) };
  });
};

export default monitors;
