// GET /api/workspaces/{ws}/stream: server-sent events, one per change (`id:` = its seq, `data:`
// the group id and status); `Last-Event-ID` replays what came after it; heartbeats keep
// proxies from closing an idle stream.
import { authorize } from '../auth';
import type { Change } from '../engine';
import { HostError } from '../errors';
import type { Subscriber } from '../feed';
import { queryValue, WS, type RoutePlugin, type WsParams } from '../http';

/** A stream whose client reads slower than this much backlog is closed (it may reconnect). */
const MAX_BACKLOG_BYTES = 1 << 20;

/** The position to resume after, from `Last-Event-ID` (or `?last_event_id=`), or null. */
function resumeAfter(header: string | string[] | undefined, query: string | null): number | null {
  const v = typeof header === 'string' ? header : query;
  if (v === null || v === undefined || v === '') return null;
  if (!/^\d{1,15}$/.test(v.trim())) {
    throw new HostError('invalid_input', 'Last-Event-ID: expected a change sequence number', 'Last-Event-ID');
  }
  return Number(v.trim());
}

function event(c: Change): string {
  const data = { id: c.group_id, group_id: c.group_id, status: c.status, kind: c.kind, seq: c.seq, at: c.at };
  return `id: ${c.seq}\ndata: ${JSON.stringify(data)}\n\n`;
}

const stream: RoutePlugin = async (app, { ctx }) => {
  const { engine, feed, config } = ctx;

  app.get<{ Params: WsParams }>(`${WS}/stream`, async (req, reply) => {
    const a = authorize(engine, req, req.params.ws, 'read');
    const wsId = a.workspace.id;
    const after = resumeAfter(req.headers['last-event-id'], queryValue(req, 'last_event_id'));
    const start = after ?? feed.head(wsId);

    const res = reply.raw;
    let heartbeat: NodeJS.Timeout | null = null;
    const sub: Subscriber = {
      seq: start,
      send(c) {
        res.write(event(c));
        if (res.writableLength > MAX_BACKLOG_BYTES) res.destroy();
      },
      close() {
        res.end();
      },
    };
    feed.subscribe(wsId, sub);
    reply.hijack();
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n: stream of ${a.workspace.name} from ${start}\n\n`);
    heartbeat = setInterval(() => res.write(': ping\n\n'), config.heartbeatMs);
    res.on('close', () => {
      if (heartbeat) clearInterval(heartbeat);
      feed.unsubscribe(wsId, sub);
    });
  });
};

export default stream;
