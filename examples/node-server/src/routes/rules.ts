// Routing rules: list, replace, check, test (a dry run that stores nothing) and replay.
import { authorize } from '../auth';
import type { Json } from '../engine';
import { HostError } from '../errors';
import { objectBody, WS, type RoutePlugin, type WsParams } from '../http';

/** `{"rules": [...]}` -> the list (the engine checks its shape and names paths). */
function ruleList(body: { [k: string]: Json }): Json {
  if (!('rules' in body)) throw new HostError('invalid_input', 'rules: required', 'rules');
  return body.rules;
}

const rules: RoutePlugin = async (app, { ctx }) => {
  const { engine } = ctx;

  app.get<{ Params: WsParams }>(`${WS}/rules`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    return { rules: engine.rules(a.workspace.id) };
  });
  app.put<{ Params: WsParams }>(`${WS}/rules`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    const list = ruleList(objectBody(req));
    engine.putRules(a.workspace.id, list);
    return { ok: true, rules: engine.rules(a.workspace.id).length };
  });
  app.post<{ Params: WsParams }>(`${WS}/rules/check`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    return engine.checkRules(a.workspace.id, ruleList(objectBody(req)));
  });
  app.post<{ Params: WsParams }>(`${WS}/rules/test`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    const b = objectBody(req);
    const source = typeof b.source === 'string' ? b.source : 'auto';
    const payload = typeof b.body === 'string' ? b.body : JSON.stringify(b.body ?? null);
    return { ...engine.dryRun(a.workspace.id, source, b.headers ?? null, payload, b.rules ?? null), stored: false };
  });
  app.post<{ Params: WsParams }>(`${WS}/rules/replay`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    const b = objectBody(req);
    const since = typeof b.since === 'string' ? b.since : null;
    const until = typeof b.until === 'string' ? b.until : null;
    return engine.replay(a.workspace.id, ruleList(b), since, until);
  });
};

export default rules;
