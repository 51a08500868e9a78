"""The change feed behind the SSE streams: one poller task per workspace with subscribers,
sharing one ``changes(ws, since, limit)`` call (in a worker thread) per tick among them, each
subscriber at its own position (a reconnect with Last-Event-ID starts behind and catches up,
bounded per tick). The feed works across processes: it reads the engine's change table, which
every host on the database file writes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

from anyio import to_thread

from .errors import HostError

#: Changes read per poll, subscribers one host serves at most, changes a slow stream may lag.
PAGE = 500
MAX_SUBSCRIBERS = 1000
MAX_BACKLOG = 5000


class Subscriber:
    """One stream's end of the feed: the last seq it has seen and its queue of changes (``None``
    ends the stream)."""

    def __init__(self, seq: int) -> None:
        self.seq = seq
        self.queue: asyncio.Queue[Optional[dict[str, Any]]] = asyncio.Queue()

    def send(self, change: dict[str, Any]) -> bool:
        """Queues a change; False when the stream lags too far behind (it is then closed)."""
        if self.queue.qsize() >= MAX_BACKLOG:
            return False
        self.queue.put_nowait(change)
        return True

    def close(self) -> None:
        self.queue.put_nowait(None)


class _WorkspaceFeed:
    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.task: Optional[asyncio.Task[None]] = None


class ChangeFeed:
    """The pollers of one host (used from the event loop only)."""

    def __init__(self, engine: Any, poll_secs: float, log: logging.Logger) -> None:
        self._engine = engine
        self._poll_secs = poll_secs
        self._log = log
        self._feeds: dict[str, _WorkspaceFeed] = {}
        self._count = 0
        self._closed = False

    async def head(self, workspace_id: str) -> int:
        """The workspace's latest seq (where a stream without Last-Event-ID starts)."""
        page = await to_thread.run_sync(self._engine.changes, workspace_id, None, 1)
        return int(page["last_seq"])

    def subscribe(self, workspace_id: str, sub: Subscriber) -> None:
        """Adds a subscriber; the engine is polled while a workspace has any."""
        if self._closed:
            raise HostError("storage", "the server is shutting down")
        if self._count >= MAX_SUBSCRIBERS:
            raise HostError("rate_limited", f"at most {MAX_SUBSCRIBERS} streams at once", retry_after_secs=5)
        feed = self._feeds.setdefault(workspace_id, _WorkspaceFeed())
        feed.subscribers.add(sub)
        self._count += 1
        if feed.task is None:
            feed.task = asyncio.get_running_loop().create_task(self._run(workspace_id, feed))

    def unsubscribe(self, workspace_id: str, sub: Subscriber) -> None:
        """Removes a subscriber (its stream ended)."""
        feed = self._feeds.get(workspace_id)
        if feed is None or sub not in feed.subscribers:
            return
        feed.subscribers.discard(sub)
        self._count -= 1
        if not feed.subscribers:
            if feed.task is not None:
                feed.task.cancel()
            del self._feeds[workspace_id]

    def close_all(self) -> None:
        """Ends every stream and stops polling (shutdown)."""
        self._closed = True
        for feed in self._feeds.values():
            if feed.task is not None:
                feed.task.cancel()
            for sub in feed.subscribers:
                sub.close()
        self._feeds.clear()
        self._count = 0

    async def _run(self, workspace_id: str, feed: _WorkspaceFeed) -> None:
        while not self._closed and feed.subscribers and self._feeds.get(workspace_id) is feed:
            full = False
            try:
                since = min(s.seq for s in feed.subscribers)
                page = await to_thread.run_sync(self._engine.changes, workspace_id, since, PAGE)
                changes = page["changes"]
                full = len(changes) == PAGE
                for change in changes:
                    for s in list(feed.subscribers):
                        if change["seq"] > s.seq:
                            s.seq = change["seq"]
                            if not s.send(change):
                                self._log.info(
                                    "a stream fell too far behind; closed", extra={"workspace": workspace_id}
                                )
                                s.close()
                                self.unsubscribe(workspace_id, s)
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.exception("change feed poll failed", extra={"workspace": workspace_id})
            await asyncio.sleep(0 if full else self._poll_secs)
