"""The bindings-ratio ingest loop in Python (see benches/src/bin/bindings-ratio.rs).

    python benches/bindings_ratio.py DIR per_alert|batch_100    # prints alerts_per_sec=X
"""

import json
import pathlib
import sys
import time

import signalcraft

directory, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
bodies = (directory / "bodies.jsonl").read_bytes().splitlines()
rules = json.loads((directory / "rules.json").read_text())
db = directory / f"python-{mode}.db"
for suffix in ("", "-wal", "-shm"):
    pathlib.Path(f"{db}{suffix}").unlink(missing_ok=True)
engine = signalcraft.Engine(str(db))
engine.create_workspace("bench")
engine.put_rules("bench", rules)
headers = {"Sentry-Hook-Resource": "event_alert"}

start = time.perf_counter()
if mode == "per_alert":
    for body in bodies:
        engine.ingest("bench", "sentry", headers, body)
else:
    for i in range(0, len(bodies), 100):
        batch = [{"source": "sentry", "headers": headers, "body": b} for b in bodies[i : i + 100]]
        for slot in engine.ingest_batch("bench", batch):
            assert "ok" in slot, slot
took = time.perf_counter() - start
engine.close()
print(f"alerts_per_sec={len(bodies) / took:.1f}")
