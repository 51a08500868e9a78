// Slack's request URL for buttons: the raw signed body to the engine, which checks the
// signature, finds the workspace (by the payload's team id, or the one in the path) and acts.
import { headerPairs, rawBodies, rawBody, type RoutePlugin } from '../http';

const slack: RoutePlugin = async (app, { ctx }) => {
  rawBodies(app, ctx.config.maxBodyBytes);
  app.post('/slack/actions', async (req) => {
    return ctx.engine.handleSlackTeamAction(headerPairs(req), rawBody(req));
  });
  app.post<{ Params: { workspace: string } }>('/slack/actions/:workspace', async (req) => {
    return ctx.engine.handleSlackAction(req.params.workspace, headerPairs(req), rawBody(req));
  });
};

export default slack;
