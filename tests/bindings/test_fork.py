"""`os.fork()` after opening an engine: the child's copy of the parent's engine refuses every call
with a clear error (its SQLite connections and background threads are the parent's), the child
opens its own engine on the same file and sees the parent's data, and the parent is unharmed.
"""

from __future__ import annotations

import os
import pathlib
import sys
import warnings

import pytest

import signalcraft

HERE = pathlib.Path(__file__).resolve().parent
SENTRY = HERE.parent.parent / "core" / "tests" / "fixtures" / "sentry" / "issue_alert_triggered.docs.json"
HEADERS = {"Sentry-Hook-Resource": "event_alert"}

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")


def child(db: pathlib.Path, engine: signalcraft.Engine, report: pathlib.Path) -> int:
    """What the forked child does; returns its exit code (0: every expectation held)."""
    lines = []
    try:
        engine.groups("acme", {})
        lines.append("inherited engine answered: expected an error")
    except signalcraft.InvalidInputError as e:
        lines.append(f"inherited: {e.kind} {e.path} {e}")
        if "opened by process" not in str(e) or e.path != "engine":
            lines.append("inherited engine: wrong error")
    engine.close()  # a no-op for the parent's engine: nothing of the parent's is closed
    with signalcraft.Engine(str(db)) as own:
        page = own.groups("acme", {})
        lines.append(f"own engine: {len(page['groups'])} groups")
        if len(page["groups"]) != 1:
            lines.append("own engine: expected the parent's group")
        # the same issue again, as a new event (its own event id): it joins the parent's group
        body = SENTRY.read_bytes().replace(b"e4874d664c3540c1a32eab185f12c5ab", b"0123456789abcdef0123456789abcdef")
        own.ingest("acme", "sentry", {**HEADERS, "Request-ID": "from-the-child"}, body)
    report.write_text("\n".join(lines))
    return 0 if all("expected" not in line and "wrong" not in line for line in lines) else 1


def test_a_forked_child_must_open_its_own_engine(tmp_path: pathlib.Path) -> None:
    db = tmp_path / "signalcraft.db"
    report = tmp_path / "child.txt"
    engine = signalcraft.Engine(str(db))
    engine.create_workspace("acme")
    engine.ingest("acme", "sentry", HEADERS, SENTRY.read_bytes())
    with warnings.catch_warnings():
        # CPython 3.12+ warns that the process has threads (the engine's checkpointer): the
        # child touches none of them, which is what this test proves.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child
        code = 70
        try:
            code = child(db, engine, report)
        finally:
            sys.stdout.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), f"child did not exit normally: {status}"
    text = report.read_text() if report.exists() else "(no report)"
    assert os.WEXITSTATUS(status) == 0, text
    assert "inherited: invalid_input engine" in text
    # the parent's engine still works, and sees what the child wrote
    page = engine.groups("acme", {})
    assert page["groups"], "the parent lost its group"
    assert sum(g["count"] for g in page["groups"]) == 2
    engine.close()
