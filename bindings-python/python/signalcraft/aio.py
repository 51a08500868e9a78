"""The asyncio face of the engine: ``signalcraft.aio.Engine``, whose methods are awaitables.

    from signalcraft.aio import Engine

    async def main() -> None:
        async with await Engine.open("signalcraft.db") as engine:
            await engine.create_workspace("acme")
            out = await engine.ingest("acme", "sentry", {"Sentry-Hook-Resource": "event_alert"}, body)

Each method runs the blocking call of :class:`signalcraft.Engine` (which releases the GIL) in a
worker thread (the loop's default executor, or the one given), so the event loop keeps serving
while the database or the network works. Arguments, answers and errors are exactly those of the
blocking method: the same dicts, the same ``SignalCraftError`` subclasses. The blocking engine
is there too, as ``.sync``, for code that already runs in a thread.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
from concurrent.futures import Executor
from typing import Any, Awaitable, Callable, Generic, Optional, Sequence, TypeVar, Union, overload

from . import _native

if sys.version_info >= (3, 10):
    from typing import Concatenate, ParamSpec
else:  # pragma: no cover - Python 3.9
    from typing_extensions import Concatenate, ParamSpec

__all__ = ["Engine"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


class _InThread(Generic[_P, _T]):
    """A blocking method of the native engine, as an awaitable method of :class:`Engine`."""

    def __init__(self, method: Callable[Concatenate[_native.Engine, _P], _T]) -> None:
        self._method = method
        self.__doc__ = method.__doc__
        self._name = getattr(method, "__name__", "method")

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: Optional[type] = None) -> _InThread[_P, _T]: ...
    @overload
    def __get__(self, obj: Engine, owner: Optional[type] = None) -> Callable[_P, Awaitable[_T]]: ...
    def __get__(self, obj: Optional[Engine], owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        method = self._method
        engine = obj.sync
        executor = obj._executor

        @functools.wraps(method)
        async def call(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(executor, functools.partial(method, engine, *args, **kwargs))

        return call


class Engine:
    """An open engine whose methods are awaitables (see the module's doc)."""

    def __init__(
        self,
        path: Optional[Union[str, os.PathLike[str]]] = None,
        *,
        secret_key: Optional[bytes] = None,
        max_body_bytes: Optional[int] = None,
        now: Optional[str] = None,
        allow_private_targets: Union[bool, Sequence[str], None] = None,
        executor: Optional[Executor] = None,
    ) -> None:
        """Opens the engine (a blocking call: in a coroutine, prefer ``await Engine.open(...)``)."""
        self.sync = _native.Engine(
            path,
            secret_key=secret_key,
            max_body_bytes=max_body_bytes,
            now=now,
            allow_private_targets=allow_private_targets,
        )
        self._executor = executor

    @classmethod
    async def open(
        cls,
        path: Optional[Union[str, os.PathLike[str]]] = None,
        *,
        secret_key: Optional[bytes] = None,
        max_body_bytes: Optional[int] = None,
        now: Optional[str] = None,
        allow_private_targets: Union[bool, Sequence[str], None] = None,
        executor: Optional[Executor] = None,
    ) -> Engine:
        """Opens the engine in a worker thread (opening migrates the database file)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            executor,
            functools.partial(
                cls,
                path,
                secret_key=secret_key,
                max_body_bytes=max_body_bytes,
                now=now,
                allow_private_targets=allow_private_targets,
                executor=executor,
            ),
        )

    @classmethod
    def wrap(cls, engine: _native.Engine, executor: Optional[Executor] = None) -> Engine:
        """The asyncio face of an engine already open."""
        self = cls.__new__(cls)
        self.sync = engine
        self._executor = executor
        return self

    async def close(self) -> None:
        """Stops the background loop and closes the engine; later calls raise ``engine is closed``."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.sync.close)

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *_args: object) -> None:
        await self.close()

    def now(self) -> str:
        """The engine's clock, RFC 3339 (no I/O: not an awaitable)."""
        return self.sync.now()

    # --- every other method of signalcraft.Engine, in a worker thread ---------------------------
    # (tests/bindings/test_aio.py fails when the native engine has a method that is not here)
    create_workspace = _InThread(_native.Engine.create_workspace)
    add_user = _InThread(_native.Engine.add_user)
    users = _InThread(_native.Engine.users)
    set_member = _InThread(_native.Engine.set_member)
    remove_member = _InThread(_native.Engine.remove_member)
    members = _InThread(_native.Engine.members)
    login = _InThread(_native.Engine.login)
    logout = _InThread(_native.Engine.logout)
    authenticate = _InThread(_native.Engine.authenticate)
    authorize = _InThread(_native.Engine.authorize)
    create_token = _InThread(_native.Engine.create_token)
    tokens = _InThread(_native.Engine.tokens)
    revoke_token = _InThread(_native.Engine.revoke_token)
    create_ingest_key = _InThread(_native.Engine.create_ingest_key)
    revoke_ingest_key = _InThread(_native.Engine.revoke_ingest_key)
    ingest_keys = _InThread(_native.Engine.ingest_keys)
    webhook = _InThread(_native.Engine.webhook)
    integrations = _InThread(_native.Engine.integrations)
    changes = _InThread(_native.Engine.changes)
    workspaces = _InThread(_native.Engine.workspaces)
    settings = _InThread(_native.Engine.settings)
    set_settings = _InThread(_native.Engine.set_settings)
    patch_settings = _InThread(_native.Engine.patch_settings)
    integration = _InThread(_native.Engine.integration)
    set_integration = _InThread(_native.Engine.set_integration)
    ingest = _InThread(_native.Engine.ingest)
    ingest_auto = _InThread(_native.Engine.ingest_auto)
    ingest_batch = _InThread(_native.Engine.ingest_batch)
    dry_run = _InThread(_native.Engine.dry_run)
    put_rules = _InThread(_native.Engine.put_rules)
    rules = _InThread(_native.Engine.rules)
    replay = _InThread(_native.Engine.replay)
    add_silence = _InThread(_native.Engine.add_silence)
    silences = _InThread(_native.Engine.silences)
    expire_silence = _InThread(_native.Engine.expire_silence)
    groups = _InThread(_native.Engine.groups)
    group = _InThread(_native.Engine.group)
    group_events = _InThread(_native.Engine.group_events)
    group_timeline = _InThread(_native.Engine.group_timeline)
    event = _InThread(_native.Engine.event)
    act = _InThread(_native.Engine.act)
    put_escalation = _InThread(_native.Engine.put_escalation)
    stats = _InThread(_native.Engine.stats)
    tick = _InThread(_native.Engine.tick)
    set_channel = _InThread(_native.Engine.set_channel)
    channels = _InThread(_native.Engine.channels)
    dispatch = _InThread(_native.Engine.dispatch)
    deliveries = _InThread(_native.Engine.deliveries)
    workspace = _InThread(_native.Engine.workspace)
    metrics_text = _InThread(_native.Engine.metrics_text)
    act_many = _InThread(_native.Engine.act_many)
    escalations = _InThread(_native.Engine.escalations)
    delete_escalation = _InThread(_native.Engine.delete_escalation)
    delete_channel = _InThread(_native.Engine.delete_channel)
    add_maintenance = _InThread(_native.Engine.add_maintenance)
    maintenance_windows = _InThread(_native.Engine.maintenance_windows)
    delete_maintenance = _InThread(_native.Engine.delete_maintenance)
    set_slack_signing_secret = _InThread(_native.Engine.set_slack_signing_secret)
    handle_slack_action = _InThread(_native.Engine.handle_slack_action)
    check_rules = _InThread(_native.Engine.check_rules)
    test_channel = _InThread(_native.Engine.test_channel)
    sample_payload = _InThread(_native.Engine.sample_payload)
    test_integration = _InThread(_native.Engine.test_integration)
    slack_connect = _InThread(_native.Engine.slack_connect)
    slack_oauth_callback = _InThread(_native.Engine.slack_oauth_callback)
    handle_slack_team_action = _InThread(_native.Engine.handle_slack_team_action)
    set_slack_integration = _InThread(_native.Engine.set_slack_integration)
    ready = _InThread(_native.Engine.ready)
    start_background = _InThread(_native.Engine.start_background)
    stop = _InThread(_native.Engine.stop)
    put_monitors = _InThread(_native.Engine.put_monitors)
    monitors = _InThread(_native.Engine.monitors)
    monitor_status = _InThread(_native.Engine.monitor_status)
    apps = _InThread(_native.Engine.apps)
    run_monitor = _InThread(_native.Engine.run_monitor)
    run_monitors = _InThread(_native.Engine.run_monitors)
