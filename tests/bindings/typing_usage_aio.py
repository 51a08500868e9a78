# Checked by `mypy --strict` in ./scripts/test: signalcraft.aio's awaitables carry the blocking
# methods' exact types (never run).
import asyncio

import signalcraft
from signalcraft.aio import Engine
from signalcraft.types import GroupPage, IngestOutcome


async def main() -> None:
    async with await Engine.open("x.db", now="2026-11-30T12:00:00Z") as e:
        o: IngestOutcome = await e.ingest("acme", "sentry", {"A": "b"}, b"{}")
        for a in o["alerts"]:
            print(a["decision"], a["group_id"])
        p: GroupPage = await e.groups("acme", {"status": "open", "limit": 5})
        print(p["next_cursor"], [g["status"] for g in p["groups"]])
        try:
            await e.group("acme", "x")
        except signalcraft.NotFoundError as err:
            print(err.kind, err.path)
        s = await e.login("alice@example.com", "correct horse", "127.0.0.1")
        acc = await e.authorize(s["token"], "acme", "act", True, s["csrf_token"])
        print(acc["actor"], e.now(), e.sync.now())


asyncio.run(main())
