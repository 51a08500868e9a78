// The change feed behind the SSE streams: one poller per workspace with subscribers, sharing one
// `changes(ws, since, limit)` call per tick among them, each subscriber at its own position
// (a reconnect with Last-Event-ID starts behind and catches up, bounded per tick).
import type { Logger } from 'pino';
import type { Change, Core } from './engine';
import { HostError } from './errors';

/** One stream's end of the feed. */
export interface Subscriber {
  /** The last seq this subscriber has seen. */
  seq: number;
  send(change: Change): void;
  close(): void;
}

/** Changes read per poll, and the subscribers one host serves at most. */
const PAGE = 500;
const MAX_SUBSCRIBERS = 1000;

interface WorkspaceFeed {
  subscribers: Set<Subscriber>;
  timer: NodeJS.Timeout | null;
}

export class ChangeFeed {
  private readonly feeds = new Map<string, WorkspaceFeed>();
  private count = 0;
  private closed = false;

  constructor(
    private readonly engine: Core,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}

  /** The workspace's latest seq (where a stream without Last-Event-ID starts). */
  head(workspaceId: string): number {
    return this.engine.changes(workspaceId, null, 1).last_seq;
  }

  /** Adds a subscriber; the engine is polled while a workspace has any. */
  subscribe(workspaceId: string, sub: Subscriber): void {
    if (this.closed) throw new HostError('storage', 'the server is shutting down');
    if (this.count >= MAX_SUBSCRIBERS) {
      throw Object.assign(new HostError('rate_limited', `at most ${MAX_SUBSCRIBERS} streams at once`), { retryAfterSecs: 5 });
    }
    let feed = this.feeds.get(workspaceId);
    if (!feed) {
      feed = { subscribers: new Set(), timer: null };
      this.feeds.set(workspaceId, feed);
    }
    feed.subscribers.add(sub);
    this.count += 1;
    if (!feed.timer) this.schedule(workspaceId, feed, 0);
  }

  /** Removes a subscriber (its stream ended). */
  unsubscribe(workspaceId: string, sub: Subscriber): void {
    const feed = this.feeds.get(workspaceId);
    if (!feed || !feed.subscribers.delete(sub)) return;
    this.count -= 1;
    if (feed.subscribers.size === 0) {
      if (feed.timer) clearTimeout(feed.timer);
      this.feeds.delete(workspaceId);
    }
  }

  /** Ends every stream and stops polling (shutdown). */
  closeAll(): void {
    this.closed = true;
    for (const feed of this.feeds.values()) {
      if (feed.timer) clearTimeout(feed.timer);
      for (const sub of feed.subscribers) sub.close();
    }
    this.feeds.clear();
    this.count = 0;
  }

  private schedule(workspaceId: string, feed: WorkspaceFeed, delay: number): void {
    feed.timer = setTimeout(() => this.poll(workspaceId, feed), delay);
    feed.timer.unref();
  }

  private poll(workspaceId: string, feed: WorkspaceFeed): void {
    feed.timer = null;
    if (this.closed || feed.subscribers.size === 0) return;
    let full = false;
    try {
      let since = Infinity;
      for (const s of feed.subscribers) since = Math.min(since, s.seq);
      const page = this.engine.changes(workspaceId, since, PAGE);
      full = page.changes.length === PAGE;
      for (const change of page.changes) {
        for (const s of feed.subscribers) {
          if (change.seq > s.seq) {
            s.seq = change.seq;
            s.send(change);
          }
        }
      }
    } catch (err) {
      this.log.error({ err, workspace: workspaceId }, 'change feed poll failed');
    }
    if (feed.subscribers.size > 0 && this.feeds.get(workspaceId) === feed) {
      this.schedule(workspaceId, feed, full ? 0 : this.pollMs);
    }
  }
}
