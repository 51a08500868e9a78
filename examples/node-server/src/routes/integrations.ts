// Integrations (webhook sources): health and keys per source with its webhook URL, settings,
// new ingest keys, a test delivery of the source's sample; and the Slack OAuth install.
import { authorize } from '../auth';
import type { FastifyRequest } from 'fastify';
import type { HostConfig } from '../app';
import type { SlackApp } from '../engine';
import { HostError } from '../errors';
import { objectBody, queryValue, WS, type RoutePlugin, type WsParams } from '../http';

type SourceParams = WsParams & { source: string };

/** The Slack app from the environment; a host without one answers invalid_input (the contract). */
function slackApp(config: HostConfig, req: FastifyRequest): SlackApp {
  const { clientId, clientSecret, apiBase, authorizeUrl, redirectUri, signingSecret } = config.slack;
  if (!clientId || !clientSecret) {
    throw new HostError('invalid_input', 'no Slack app is configured on this host (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)', 'slack');
  }
  return {
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uri: redirectUri ?? `${publicUrl(config, req)}/api/slack/oauth/callback`,
    ...(apiBase ? { api_base: apiBase } : {}),
    ...(authorizeUrl ? { authorize_url: authorizeUrl } : {}),
    ...(signingSecret ? { signing_secret: signingSecret } : {}),
  };
}

/** Where the outside world reaches this host: SIGNALCRAFT_PUBLIC_URL, else the request's own origin. */
export function publicUrl(config: HostConfig, req: FastifyRequest): string {
  return config.publicUrl ?? `${req.protocol}://${req.host}`;
}

/** Where a source posts. */
function webhookUrl(base: string, workspace: string, source: string): string {
  return `${base}/webhooks/${encodeURIComponent(workspace)}/${encodeURIComponent(source)}`;
}

const integrations: RoutePlugin = async (app, { ctx }) => {
  const { engine, config } = ctx;

  app.get<{ Params: WsParams }>(`${WS}/integrations`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    const list = engine.integrations(a.workspace.id).map((i) => ({
      ...i,
      webhook_url: webhookUrl(publicUrl(config, req), a.workspace.name, String(i.source)),
    }));
    return { integrations: list };
  });
  app.get<{ Params: WsParams }>(`${WS}/integrations/slack/connect`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    const options: { [k: string]: string } = {};
    for (const name of ['channel', 'slack_channel']) {
      const v = queryValue(req, name);
      if (v !== null) options[name] = v;
    }
    const { url } = engine.slackConnect(a.workspace.id, slackApp(config, req), options);
    return reply.redirect(url, 302);
  });
  app.get('/api/slack/oauth/callback', async (req) => {
    const code = queryValue(req, 'code');
    const state = queryValue(req, 'state');
    if (code === null) throw new HostError('invalid_input', 'code: required', 'code');
    if (state === null) throw new HostError('invalid_input', 'state: required', 'state');
    return engine.slackOauthCallback(slackApp(config, req), code, state);
  });
  app.put<{ Params: SourceParams }>(`${WS}/integrations/:source`, async (req) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    // Slack is not a webhook source: its signing secret and team id have their own call.
    if (req.params.source === 'slack') return engine.setSlackIntegration(a.workspace.id, objectBody(req));
    return engine.setIntegration(a.workspace.id, req.params.source, objectBody(req));
  });
  app.post<{ Params: SourceParams }>(`${WS}/integrations/:source/keys`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    return reply.code(201).send(engine.createIngestKey(a.workspace.id, req.params.source));
  });
  app.delete<{ Params: SourceParams & { id: string } }>(`${WS}/integrations/:source/keys/:id`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    engine.revokeIngestKey(a.workspace.id, req.params.source, req.params.id);
    return reply.code(204).send();
  });
  app.post<{ Params: SourceParams }>(`${WS}/integrations/:source/test`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'configure');
    return reply.code(202).send(engine.testIntegration(a.workspace.id, req.params.source));
  });
};

export default integrations;
