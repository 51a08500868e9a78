// POST /webhooks/{workspace}/{source}: the raw delivery to the engine's one webhook call, which
// authenticates it (signature, ingest key, or the workspace's allow_unauthenticated_ingest),
// rate-limits, ingests and records health.
import { headerPairs, queryValue, rawBodies, rawBody, type RoutePlugin } from '../http';

const webhooks: RoutePlugin = async (app, { ctx }) => {
  rawBodies(app, ctx.config.maxBodyBytes);
  app.post<{ Params: { workspace: string; source: string } }>('/webhooks/:workspace/:source', async (req, reply) => {
    const { workspace, source } = req.params;
    // Off the event loop: the engine's writer commits concurrent deliveries together, and the
    // loop keeps serving while one is written.
    const out = await ctx.engine.webhookAsync(workspace, source, headerPairs(req), rawBody(req), queryValue(req, 'key'));
    return reply.code(202).send(out);
  });
};

export default webhooks;
