// Dashboard figures and the workspace's delivery log.
import { authorize } from '../auth';
import { queryValue, WS, type RoutePlugin, type WsParams } from '../http';

const stats: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;
  app.get<{ Params: WsParams }>(`${WS}/stats`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return engine.stats(a.workspace.id, queryValue(req, 'window'));
  });
  app.get<{ Params: WsParams }>(`${WS}/deliveries`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { deliveries: engine.deliveries(a.workspace.id, queryValue(req, 'group')) };
  });
};

export default stats;
