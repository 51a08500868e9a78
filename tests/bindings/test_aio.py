"""signalcraft.aio: every method of the blocking Engine as an awaitable, run off the event loop,
with the same answers and the same errors."""

from __future__ import annotations

import asyncio
import pathlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import signalcraft
from signalcraft import aio

HERE = pathlib.Path(__file__).resolve().parent
SENTRY = HERE.parent.parent / "core" / "tests" / "fixtures" / "sentry" / "issue_alert_triggered.docs.json"
HEADERS = {"Sentry-Hook-Resource": "event_alert"}
NOW = "2026-11-30T12:00:00Z"


def test_every_engine_method_has_an_awaitable() -> None:
    blocking = {n for n in dir(signalcraft.Engine) if not n.startswith("_")}
    missing = sorted(n for n in blocking - {"close", "now"} if not isinstance(vars(aio.Engine).get(n), aio._InThread))
    assert missing == [], f"signalcraft.aio.Engine lacks {missing}"
    assert asyncio.iscoroutinefunction(aio.Engine.close)


class CountingExecutor(ThreadPoolExecutor):
    """Records the threads the calls ran on."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.threads: set[int] = set()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        def run():  # type: ignore[no-untyped-def]
            self.threads.add(threading.get_ident())
            return fn(*args, **kwargs)

        return super().submit(run)


def test_awaitables_answer_like_the_blocking_engine_off_the_loop(tmp_path: pathlib.Path) -> None:
    body = SENTRY.read_bytes()
    with signalcraft.Engine(str(tmp_path / "sync.db"), now=NOW) as e:
        e.create_workspace("acme")
        want = e.ingest("acme", "sentry", HEADERS, body)
        want_page = e.groups("acme", {"status": "open"})

    executor = CountingExecutor()

    async def main() -> None:
        loop_thread = threading.get_ident()
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:  # runs only while the loop is free
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0)

        t = asyncio.create_task(ticker())
        async with await aio.Engine.open(str(tmp_path / "async.db"), now=NOW, executor=executor) as engine:
            assert engine.now() == engine.sync.now()
            await engine.create_workspace("acme")
            got = await engine.ingest("acme", "sentry", HEADERS, body)
            page = await engine.groups("acme", {"status": "open"})
            # many calls at once, all answered
            pages = await asyncio.gather(*(engine.groups("acme") for _ in range(20)))
        stop.set()
        await t
        assert loop_thread not in executor.threads and executor.threads
        assert ticks > 0
        assert got["outcome"] == want["outcome"] and len(got["alerts"]) == len(want["alerts"])
        assert [a["decision"] for a in got["alerts"]] == [a["decision"] for a in want["alerts"]]
        assert [g["title"] for g in page["groups"]] == [g["title"] for g in want_page["groups"]]
        assert all(p["groups"] == pages[0]["groups"] for p in pages)

    asyncio.run(main())
    executor.shutdown()


def test_errors_are_the_blocking_engines(tmp_path: pathlib.Path) -> None:
    async def main() -> None:
        engine = aio.Engine(str(tmp_path / "err.db"))
        await engine.create_workspace("acme")
        with pytest.raises(signalcraft.NotFoundError) as nf:
            await engine.group("acme", "grp_nope")
        assert nf.value.kind == "not_found"
        with pytest.raises(signalcraft.InvalidInputError) as bad:
            await engine.put_rules("acme", [{"id": "x", "when": {"field": "severity", "op": "equalz", "value": 1}}])
        assert bad.value.path is not None and bad.value.path.startswith("rules[0]")
        await engine.close()
        with pytest.raises(signalcraft.SignalCraftError, match="closed"):
            await engine.workspaces()

    asyncio.run(main())


def test_wrap_shares_an_open_engine(tmp_path: pathlib.Path) -> None:
    blocking = signalcraft.Engine(str(tmp_path / "wrap.db"))
    blocking.create_workspace("acme")

    async def main() -> list[str]:
        engine = aio.Engine.wrap(blocking)
        assert engine.sync is blocking
        return [w["name"] for w in await engine.workspaces()]

    assert asyncio.run(main()) == ["acme"]
    blocking.close()
