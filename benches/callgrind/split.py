#!/usr/bin/env python3
"""Splits a callgrind profile's instructions into parts: parse, route, store, load, other.

    split.py callgrind.out     # prints `part=instructions` lines, then `entry NAME=…` lines

The profile must come from `valgrind --tool=callgrind --separate-callers=D` (benches/callgrind/run
uses D = 30): every function is then recorded once per call chain, named
`fn'caller'caller's caller…`, so each instruction is assigned by the chain it ran in — exactly,
with no averaging over callers. The part of an instruction is that of the innermost function
of its chain that has one (malloc, memcpy, serde_json, std… have none and count for their
caller), except that anything run below a load counts as load:

  parse    signalcraft_core::sources::…, signalcraft_core::json::…   (reading a delivery's body)
  route    signalcraft_core::routing::…                              (evaluate, the trace)
  store    signalcraft_core::store::…, rusqlite::…, SQLite            (the writes and reads)
  load     reading the workspace's configuration per delivery, and everything below it:
           engine::load_rows, Engine::load/loaded/routing_for, store::routing::{version, rules,
           current_rule_set, silences, windows}, store::workspaces::…
  other    the rest of signalcraft_core (the engine's glue, fingerprint, dedup, serializing the
           stored JSON through engine::to_json…)
  harness  the bench program's own work (making request bodies, dropping answers): left out of
           `engine=`, the total without it

`entry NAME=` lines: instructions run with NAME in the chain (inclusive cost), and malloc's
and free's own instructions.
"""
import re
import sys
from collections import defaultdict

PARTS = ("parse", "route", "store", "load", "other", "harness")

LOAD = re.compile(
    r"^signalcraft_core::(engine::load_rows$"
    r"|engine::ingest::<impl signalcraft_core::engine::Engine>::(load|loaded)$"
    r"|engine::<impl signalcraft_core::engine::Engine>::routing_for$"
    r"|store::routing::(version|rules|current_rule_set|silences|windows)$|store::workspaces::)"
)

ENTRIES = {
    "load": LOAD,
    "sources::parse": re.compile(r"^signalcraft_core::sources::parse$"),
    "routing::evaluate": re.compile(r"^signalcraft_core::routing::evaluate::evaluate$"),
    "IngestCtx::apply": re.compile(r"^signalcraft_core::engine::ingest::IngestCtx::apply$"),
    "engine::to_json (stored JSON)": re.compile(r"^signalcraft_core::engine::to_json$"),
    "sqlite3_step": re.compile(r"^sqlite3_step$"),
}
MALLOC = re.compile(r"^(malloc|free|realloc|calloc|_int_malloc|_int_free|_int_realloc|malloc_consolidate|cfree|__libc_malloc|__libc_free)$")


def label(name):
    """The part a function belongs to by its name, or None."""
    if name.startswith(("signalcraft_benches::", "am_ingest::", "ingest_count::")):
        return "harness"
    m = re.match(r"^<?signalcraft_core::(\w+)::", name)
    if m:
        return {"sources": "parse", "json": "parse", "routing": "route", "store": "store"}.get(m.group(1), "other")
    if name.startswith(("rusqlite::", "libsqlite3_sys::", "sqlite3")):
        return "store"
    return None


def part_of(chain):
    """The part of the instructions of a function context (innermost frame first)."""
    if any(LOAD.search(f) for f in chain):
        return "load"
    for f in chain:
        lab = label(f)
        if lab:
            return lab
    return "other"


def read(path):
    """Self cost per function context (the `'`-joined call chain)."""
    names = {}
    cost = defaultdict(int)
    fn = None
    pending_call = False
    positions = 1

    def resolve(spec):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?$", spec)
        if not m:
            return spec
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), spec)

    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                if pending_call:  # the inclusive cost of a call: counted in the callee's own lines
                    pending_call = False
                    continue
                parts = line.split()
                if len(parts) > positions:
                    cost[fn] += int(parts[positions])
                continue
            if line.startswith("fn="):
                fn = resolve(line[3:])
            elif line.startswith("cfn="):
                resolve(line[4:])
            elif line.startswith("calls="):
                pending_call = True
            elif line.startswith("positions:"):
                positions = len(line.split()[1:])
    return cost


def main():
    cost = read([a for a in sys.argv[1:] if not a.startswith("--")][0])
    parts = defaultdict(int)
    entries = defaultdict(int)
    for context, c in cost.items():
        # cycle markers (`name'2`) are not frames
        chain = [f for f in context.split("'") if f and not f.isdigit()]
        parts[part_of(chain)] += c
        for name, pat in ENTRIES.items():
            if any(pat.search(f) for f in chain):
                entries[name] += c
        if chain and MALLOC.search(chain[0]):
            entries["malloc+free (self)"] += c
    total = sum(cost.values())
    print(f"total={total}")
    print(f"engine={total - parts['harness']}")
    for p in PARTS:
        print(f"{p}={parts[p]}")
    for name in list(ENTRIES) + ["malloc+free (self)"]:
        print(f"entry {name}={entries[name]}")


if __name__ == "__main__":
    main()
