"""How the Python binding hands answers over, compared in one process: each MODULE is a build of
bindings-python's extension (`signalcraft/_native*.so`: pythonize, or one JSON string read by
``json.loads``…). Rounds interleave the builds, so a loaded machine slows every variant alike.

    python benches/bindings_answers.py DIR ROUNDS NAME=PATH_TO_NATIVE_SO...

DIR is the bindings-ratio directory (bodies.jsonl, rules.json). Loops: ``ingest`` one commit
per alert, ``dry_run`` (parse, route, the answer; no storage: the answer's share is largest).
"""

import importlib.machinery
import importlib.util
import json
import pathlib
import statistics
import sys
import time

directory, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])
variants = []
for i, arg in enumerate(sys.argv[3:]):
    name, path = arg.split("=", 1)
    # a package of its own per build: the init function is PyInit__native whatever the package
    loader = importlib.machinery.ExtensionFileLoader(f"answers{i}._native", path)
    spec = importlib.util.spec_from_file_location(f"answers{i}._native", path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    variants.append((name, module.Engine))

bodies = (directory / "bodies.jsonl").read_bytes().splitlines()
rules = json.loads((directory / "rules.json").read_text())
headers = {"Sentry-Hook-Resource": "event_alert"}


def loop(name, engine_class, mode, r):
    db = directory / f"answers-{name}-{r}.db"
    for suffix in ("", "-wal", "-shm"):
        pathlib.Path(f"{db}{suffix}").unlink(missing_ok=True)
    engine = engine_class(str(db))
    engine.create_workspace("bench")
    engine.put_rules("bench", rules)
    check = 0
    start = time.perf_counter()
    if mode == "ingest":
        for body in bodies:
            check += len(engine.ingest("bench", "sentry", headers, body)["alerts"])
    else:
        for body in bodies:
            check += len(engine.dry_run("bench", "sentry", headers, body)["alerts"])
    took = time.perf_counter() - start
    engine.close()
    for suffix in ("", "-wal", "-shm"):
        pathlib.Path(f"{db}{suffix}").unlink(missing_ok=True)
    assert check == len(bodies), (name, check)
    return len(bodies) / took


for mode in ("dry_run", "ingest"):
    rates = {name: [] for name, _ in variants}
    for r in range(rounds):
        order = variants if r % 2 == 0 else list(reversed(variants))
        for name, cls in order:
            rates[name].append(loop(name, cls, mode, r))
    base = statistics.median(rates[variants[0][0]])
    print(
        f"{mode}: "
        + "  ".join(f"{n} {statistics.median(v):.0f}/s ({statistics.median(v) / base:.3f})" for n, v in rates.items())
    )
